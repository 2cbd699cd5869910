package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processors sharing one pool of 120 RPM over 6 partitions, against an emulator enforcing the same
 * quota: two start together, a third joins, one leaves. Shares follow the owned partitions and the
 * pool is never exceeded (no 429), while the backlog keeps moving.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
class QuotaSharedPoolTest {
  private static final int RPM = 120;
  private static final int PARTITIONS = 6;
  private static final Duration PHASE = Duration.ofSeconds(10);

  @Test
  void shouldStayWithinTheSharedPoolWhileInstancesJoinAndLeave(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    List<EditstreamProcessor> running = new ArrayList<>();
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withRpm(RPM).withLatencyMeanMs(100).withSeed(9));
        Pipeline pipeline = new Pipeline(PARTITIONS)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("quota.rpm", Integer.toString(RPM));
      settings.put("quota.burst", "2");
      settings.put("http.port", "-1");
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      try {
        EditstreamProcessor a = start(settings, work, "a");
        running.add(a);
        EditstreamProcessor b = start(settings, work, "b");
        running.add(b);
        for (int i = 0; i < 1_000; i++) {
          pipeline.send(job("job-" + i, "remove the background, variant " + i, rocket));
        }
        pipeline.flush();
        pipeline.readUntil(
            () ->
                a.gate().ownedPartitions() + b.gate().ownedPartitions() == PARTITIONS
                    && a.gate().ownedPartitions() > 0
                    && b.gate().ownedPartitions() > 0,
            Duration.ofSeconds(60));
        assertThat(a.gate().share() + b.gate().share()).isEqualTo(1.0);
        assertThat(a.gate().share()).isBetween(0.0, 1.0).isNotIn(0.0, 1.0);
        pipeline.readUntil(() -> false, PHASE);
        int afterTwo = pipeline.outcomes();
        assertThat(afterTwo).as("two instances make progress").isPositive();

        EditstreamProcessor c = start(settings, work, "c");
        running.add(c);
        boolean cJoined =
            pipeline.readUntil(
                () -> c.gate().ownedPartitions() > 0 && owned(running) == PARTITIONS,
                Duration.ofSeconds(60));
        assertThat(cJoined).as("the third instance gets partitions").isTrue();
        assertThat(c.gate().share()).isBetween(1.0 / PARTITIONS, 0.5);
        pipeline.readUntil(() -> false, PHASE);
        int afterThree = pipeline.outcomes();
        assertThat(afterThree).as("three instances make progress").isGreaterThan(afterTwo);

        running.remove(a);
        a.close();
        boolean handedOver =
            pipeline.readUntil(() -> owned(running) == PARTITIONS, Duration.ofSeconds(60));
        assertThat(handedOver).as("b and c take over a's partitions").isTrue();
        pipeline.readUntil(() -> false, PHASE);
        assertThat(pipeline.outcomes())
            .as("two remaining instances make progress")
            .isGreaterThan(afterThree);

        long rateLimited = emulator.stats().rateLimited();
        long requests = emulator.stats().requests();
        System.out.printf(
            "shared pool: %d calls, %d answered 429, %d outcomes%n",
            requests, rateLimited, pipeline.outcomes());
        assertThat(rateLimited).as("429s out of %d calls", requests).isZero();
        assertThat(pipeline.failures).isEmpty();
        assertThat(pipeline.duplicateOutcomes).isZero();
      } finally {
        for (EditstreamProcessor p : running) {
          p.close();
        }
      }
    }
  }

  private static int owned(List<EditstreamProcessor> processors) {
    return processors.stream().mapToInt(p -> p.gate().ownedPartitions()).sum();
  }

  private static EditstreamProcessor start(Map<String, String> settings, Path work, String name)
      throws Exception {
    Map<String, String> own = new java.util.HashMap<>(settings);
    own.put("state.dir", work.resolve("state-" + name).toString());
    own.put("blob.dir", work.resolve("blobs-" + name).toString());
    return EditstreamProcessor.start(ProcessorConfig.from(Settings.of(own)));
  }
}
