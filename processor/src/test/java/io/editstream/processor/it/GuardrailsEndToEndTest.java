package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines and cancellation on real parts (broker, registry, emulator over HTTP): with a quota of
 * two calls a minute (one now, the next in 30 s), one job is called; of the jobs waiting behind it,
 * one is cancelled, one expires while waiting, one was expired on arrival and one was cancelled
 * before it came. Each gets exactly one outcome, and the emulator sees exactly one call.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
class GuardrailsEndToEndTest {

  @Test
  @SuppressWarnings("try") // the processor only has to run while the body works
  void shouldEndCancelledAndExpiredJobsWithOneOutcomeAndNoModelCall(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(7));
        Pipeline pipeline = new Pipeline(2)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("quota.rpm", "2"); // one call now, the next in 30 s
      settings.put("quota.burst", "1");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        // Cancelled before it is even sent.
        pipeline.cancel("early", "changed my mind");
        pipeline.flush();
        send(pipeline, job("first", "remove the background", rocket));
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.answered("first"), Duration.ofSeconds(90)))
            .isTrue();

        EditJob waiting = job("waiting", "add a drop shadow", rocket);
        EditJob soon = job("soon", "add a reflection", rocket);
        soon.setDeadline(Instant.now().plusSeconds(3));
        EditJob stale = job("stale", "crop to the product", rocket);
        stale.setDeadline(Instant.now().minusSeconds(1));
        send(pipeline, waiting);
        send(pipeline, soon);
        send(pipeline, stale);
        send(pipeline, job("early", "make it brighter", rocket));
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () ->
                        pipeline.answered("stale")
                            && pipeline.answered("soon")
                            && pipeline.answered("early"),
                    Duration.ofSeconds(60)))
            .as("failures so far: %s", pipeline.failures.keySet())
            .isTrue();
        assertThat(pipeline.answered("waiting")).as("still waiting for quota").isFalse();

        pipeline.cancel("waiting", "wrong photo");
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.answered("waiting"), Duration.ofSeconds(60)))
            .isTrue();
        pipeline.readToCommittedEnd(Duration.ofSeconds(30));

        assertThat(pipeline.results).containsOnlyKeys("first");
        assertThat(pipeline.failures.get("waiting").getCode()).isEqualTo(FailureCode.CANCELLED);
        assertThat(pipeline.failures.get("waiting").getMessage()).contains("wrong photo");
        assertThat(pipeline.failures.get("early").getCode()).isEqualTo(FailureCode.CANCELLED);
        assertThat(pipeline.failures.get("soon").getCode()).isEqualTo(FailureCode.EXPIRED);
        assertThat(pipeline.failures.get("stale").getCode()).isEqualTo(FailureCode.EXPIRED);
        assertThat(pipeline.failures.values())
            .allSatisfy(f -> assertThat(f.getAttempts()).isZero());
        assertThat(pipeline.duplicateOutcomes).isZero();
        assertThat(emulator.stats().requests()).as("model calls").isEqualTo(1);
      }
    }
  }

  /** Keyed by jobId, as editstream submit sends jobs. */
  private static void send(Pipeline pipeline, EditJob job) {
    pipeline.sendRaw(job.getJobId().toString(), pipeline.frame(job));
  }
}
