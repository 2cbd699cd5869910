package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import io.editstream.schema.EditResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch lane on the real broker, registry and emulator over HTTP (issue 18): BULK jobs go
 * through a handful of Gemini batches and no online call; every job gets exactly one outcome, at
 * the batch price; a {@code kill -9} of the processor while its batches run loses nothing, doubles
 * nothing and creates no batch twice (the emulator counts batches and the requests in them).
 */
class BatchLaneEndToEndTest {

  private static Map<String, String> batchSettings(
      Pipeline pipeline, Emulator emulator, Path work) {
    Map<String, String> s = pipeline.settings(emulator.baseUrl(), work);
    s.put("batch.lane", "bulk");
    s.put("batch.max.requests", "200");
    s.put("batch.max.wait.ms", "2000");
    s.put("batch.poll.interval.ms", "200");
    return s;
  }

  private static byte[] smallPng() throws IOException {
    BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 64; x++) {
      image.setRGB(x, x, 0xff8800);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @Test
  @SuppressWarnings("try") // the processor only has to run while the body works
  void shouldAnswerFiveHundredBulkJobsThroughAHandfulOfBatchesAndNoOnlineCall(@TempDir Path work)
      throws Exception {
    int jobs = 500;
    byte[] png = smallPng();
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withBatchTurnaround(Duration.ofMillis(1500)));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = batchSettings(pipeline, emulator, work);
      // Long enough for the 500 jobs to arrive on a loaded machine, short enough for a test.
      settings.put("batch.max.wait.ms", "8000");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        for (int i = 0; i < jobs; i++) {
          // Distinct instructions: no answer comes from the dedup cache.
          pipeline.send(job("b-" + i, "remove the background " + i, png));
        }
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= jobs, Duration.ofSeconds(180)))
            .as("outcomes %d of %d; failures %s", pipeline.outcomes(), jobs, pipeline.failures)
            .isTrue();
        pipeline.readToCommittedEnd(Duration.ofSeconds(10));
      }

      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(jobs);
      assertThat(pipeline.duplicateOutcomes).isZero();
      var stats = emulator.stats();
      assertThat(stats.requests()).as("no online call").isZero();
      assertThat(stats.batchRequests()).as("each job in exactly one batch").isEqualTo(jobs);
      // Two tasks, about 250 jobs each: a full batch and the rest, split further when the jobs
      // arrive over more than batch.max.wait.ms (a loaded machine).
      assertThat(stats.batchesCreated()).isBetween(3L, 12L);
      for (EditResult r : pipeline.results.values()) {
        assertThat(r.getProvider()).isEqualTo("ai-studio");
        assertThat(r.getAttempts()).isEqualTo(1);
        assertThat(r.getImages()).hasSize(1);
        assertThat(r.getLane()).as("the lane marker").isEqualTo("batch");
      }
    }
  }

  @Test
  void shouldLoseNothingDoubleNothingAndCreateNoBatchTwiceWhenKilledWhileBatchesRun(
      @TempDir Path work) throws Exception {
    int jobs = 300;
    byte[] png = smallPng();
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withBatchTurnaround(Duration.ofSeconds(8)));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = batchSettings(pipeline, emulator, work);
      settings.put("batch.max.requests", "50");
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      settings.put("http.port", "-1");
      settings.put("state.dir", work.resolve("state-a").toString());
      ProcessorJvm first = new ProcessorJvm(settings, work, "first");
      for (int i = 0; i < jobs; i++) {
        pipeline.send(job("k-" + i, "remove the background " + i, png));
      }
      pipeline.flush();
      assertThat(
              pipeline.readUntil(
                  () -> emulator.stats().batchesCreated() >= 3, Duration.ofSeconds(120)))
          .as("batches running before the kill; log:%n%s", first.logTail(40))
          .isTrue();
      first.kill();
      long createdBeforeKill = emulator.stats().batchesCreated();

      // A fresh state directory: the second processor has only the changelogs.
      settings.put("state.dir", work.resolve("state-b").toString());
      try (ProcessorJvm second = new ProcessorJvm(settings, work, "second")) {
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= jobs, Duration.ofSeconds(180)))
            .as(
                "outcomes %d of %d (batches %d, %d before the kill); log:%n%s",
                pipeline.outcomes(),
                jobs,
                emulator.stats().batchesCreated(),
                createdBeforeKill,
                second.logTail(60))
            .isTrue();
        pipeline.readToCommittedEnd(Duration.ofSeconds(10));
      }

      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(jobs);
      assertThat(pipeline.duplicateOutcomes).as("doubled: %s", pipeline.doubled).isZero();
      var stats = emulator.stats();
      assertThat(stats.requests()).as("no online call").isZero();
      assertThat(stats.batchRequests())
          .as("no job in two batches: no batch created twice (%s)", stats.requestsByBatch())
          .isEqualTo(jobs);
    }
  }
}
