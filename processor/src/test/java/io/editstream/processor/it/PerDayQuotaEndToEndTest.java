package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.testkit.MutableClock;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A per-day 429 through the whole processor and the emulator over HTTP (issue 19.4). The emulator
 * enforces an RPD of 3 that the processor does not know; processor and emulator share one fake
 * clock. The fourth call is answered 429 naming GenerateRequestsPerDayPerProjectPerModel: the pool
 * is held until midnight Pacific (a gauge says until when) and no further call is made; when the
 * fake clock passes midnight every held job completes, with no second 429.
 */
class PerDayQuotaEndToEndTest {
  private static final Instant NOON_UTC = Instant.parse("2026-05-01T12:00:00Z");
  private static final Instant MIDNIGHT_PACIFIC = Instant.parse("2026-05-02T07:00:00Z");
  // Three on the first day, then a 429; the other three (the held one among them) the next day.
  private static final int JOBS = 6;

  @Test
  void shouldHoldThePoolUntilMidnightPacificAfterAPerDay429(@TempDir Path work) throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    MutableClock clock = new MutableClock(NOON_UTC);
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(5).withRpd(3).withClock(clock));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("model.max.in.flight", "1"); // one call at a time: exactly one 429
      settings.put("retry.max.attempts", "3");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)), null, clock)) {
        for (int i = 0; i < JOBS; i++) {
          pipeline.send(job("day-" + i, "remove the background " + i, rocket));
        }
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () -> emulator.stats().answers(429) >= 1, Duration.ofSeconds(90)))
            .as("the fourth call is answered 429; results %s", pipeline.results.keySet())
            .isTrue();
        // Time passes on the wall clock only: the processor must not call again.
        pipeline.readUntil(() -> false, Duration.ofSeconds(3));
        assertThat(pipeline.results).hasSize(3);
        assertThat(pipeline.failures).as("held, not failed").isEmpty();
        assertThat(emulator.stats().answers(429)).as("no retry storm").isEqualTo(1);
        assertThat(emulator.stats().answers(200)).isEqualTo(3);
        assertThat(heldUntil(processor)).isEqualTo((double) MIDNIGHT_PACIFIC.getEpochSecond());

        // An hour before midnight Pacific: still held.
        clock.set(MIDNIGHT_PACIFIC.minus(Duration.ofHours(1)));
        pipeline.readUntil(() -> false, Duration.ofSeconds(2));
        assertThat(emulator.stats().answers(429) + emulator.stats().answers(200)).isEqualTo(4);

        clock.set(MIDNIGHT_PACIFIC.plusSeconds(1));
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= JOBS, Duration.ofSeconds(90)))
            .as("results %s failures %s", pipeline.results.keySet(), pipeline.failures)
            .isTrue();
        assertThat(heldUntil(processor)).isZero();
      }
      assertThat(pipeline.results).hasSize(JOBS);
      assertThat(pipeline.failures).isEmpty();
      assertThat(emulator.stats().answers(429)).isEqualTo(1);
      assertThat(emulator.stats().answers(200)).isEqualTo(JOBS);
      assertThat(pipeline.duplicateOutcomes).isZero();
    }
  }

  /** The pool's editstream_throttle_held_until_seconds as the processor's /metrics serves it. */
  private static double heldUntil(EditstreamProcessor processor) throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    String prefix =
        "editstream_throttle_held_until_seconds{pool=\"gemini-3.1-flash-image-preview\","
            + "provider=\"ai-studio\"} ";
    return body.lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + "in\n" + body));
  }
}
