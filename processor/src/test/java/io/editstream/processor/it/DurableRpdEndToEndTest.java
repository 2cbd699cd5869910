package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RPD count survives a {@code kill -9} (issue 19.4): the emulator enforces an RPD of 20 and the
 * processor knows it; the processor is killed right after the 16th call reached the emulator (80 %
 * of the day, with calls in flight), and a new one on a fresh state directory, which has only the
 * changelogs, takes over. The emulator sees at most 20 calls that day and no 429: the remaining
 * jobs wait for the next day. Processor and emulator run on the real clock, so the test is skipped
 * within a few minutes of midnight Pacific.
 */
class DurableRpdEndToEndTest {
  private static final int RPD = 20;
  private static final int KILL_AT = 16;
  private static final int JOBS = 30;
  private static final int MAX_IN_FLIGHT = 2;

  @Test
  void shouldStopAtTheRpdAfterAKillAtEightyPercent(@TempDir Path work) throws Exception {
    Instant now = Instant.now();
    ZoneId pacific = ZoneId.of("America/Los_Angeles");
    Instant midnight =
        LocalDate.ofInstant(now, pacific).plusDays(1).atStartOfDay(pacific).toInstant();
    assumeTrue(
        Duration.between(now, midnight).compareTo(Duration.ofMinutes(5)) > 0,
        "too close to midnight Pacific: the day's count would reset during the test");
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(300).withRpd(RPD).withSeed(19));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("quota.rpd", Integer.toString(RPD));
      settings.put("model.max.in.flight", Integer.toString(MAX_IN_FLIGHT));
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      settings.put("http.port", "-1");

      settings.put("state.dir", work.resolve("state-a").toString());
      ProcessorJvm first = new ProcessorJvm(settings, work, "first");
      for (int i = 0; i < JOBS; i++) {
        pipeline.send(job("rpd-" + i, "remove the background " + i, rocket));
      }
      pipeline.flush();
      assertThat(
              pipeline.readUntil(
                  () -> emulator.stats().requests() >= KILL_AT, Duration.ofSeconds(120)))
          .as("the first processor made %d calls; log:%n%s", KILL_AT, first.logTail(40))
          .isTrue();
      first.kill(); // calls in flight, their outcomes (and maybe their dispatch) not committed
      long callsBeforeKill = emulator.stats().requests();

      settings.put("state.dir", work.resolve("state-b").toString());
      int port = freePort();
      settings.put("http.port", Integer.toString(port));
      try (ProcessorJvm second = new ProcessorJvm(settings, work, "second")) {
        // Its pool counts the whole day once it owns every partition again.
        // (A 429 means the day was overrun: fail at once, below.)
        assertThat(
                pipeline.readUntil(
                    () -> rpdUsed(port) >= RPD || emulator.stats().answers(429) > 0,
                    Duration.ofSeconds(120)))
            .as(
                "the second processor's pool reaches the RPD (calls %d, before the kill %d); log:%n%s",
                emulator.stats().requests(), callsBeforeKill, second.logTail(40))
            .isTrue();
        assertThat(emulator.stats().answers(429))
            .as("no call beyond the RPD (calls before the kill: %d)", callsBeforeKill)
            .isZero();
        // Any call beyond the day's quota would come now.
        pipeline.readUntil(() -> false, Duration.ofSeconds(5));

        assertThat(emulator.stats().answers(429)).as("no call beyond the RPD").isZero();
        assertThat(emulator.stats().requests())
            .as("calls that day: at most the RPD, short of it by at most the dispatches cut off")
            .isLessThanOrEqualTo(RPD)
            .isGreaterThanOrEqualTo(RPD - MAX_IN_FLIGHT);
        assertThat(pipeline.failures).as("the rest wait for the next day").isEmpty();
        assertThat(pipeline.outcomes()).isLessThanOrEqualTo(RPD).isLessThan(JOBS);
        assertThat(pipeline.duplicateOutcomes).isZero();
      }
    }
  }

  /**
   * The instance's RPD count (editstream_throttle_used, bucket rpd) from its /metrics; -1 if none
   * yet.
   */
  private static double rpdUsed(int port) {
    try {
      String body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return body.lines()
          .filter(l -> l.startsWith("editstream_throttle_used{") && l.contains("bucket=\"rpd\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1).trim()))
          .max()
          .orElse(-1);
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
