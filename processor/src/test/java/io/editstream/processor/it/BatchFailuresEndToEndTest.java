package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ends of a batch other than success, on the real broker, registry and emulator over HTTP
 * (issue 18.3, 18.4, "Done when"): a batch the emulator forces FAILED, one it forces EXPIRED, and
 * one that overruns {@code batch.deadline.ms} each end every one of their jobs exactly once, online
 * or as a failure as configured; the emulator counts the online calls, the batches, their requests
 * and the cancels. And the batch quota pool keeps batches waiting where the service would answer
 * 429.
 */
class BatchFailuresEndToEndTest {
  private static final int JOBS = 12;

  private record Run(Pipeline pipeline, EmulatorStats stats) {}

  private static byte[] smallPng() throws IOException {
    BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 64; x++) {
      image.setRGB(x, x, 0x3366ff);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /**
   * Sends {@code jobs} BULK jobs whose instructions start with {@code directive} through a
   * processor with the batch lane on (batches of 6, polled every 200 ms) and waits for an outcome
   * of each.
   */
  @SuppressWarnings("try") // the processor only has to run while the body works
  private static void run(
      Emulator emulator,
      Pipeline pipeline,
      Path work,
      int jobs,
      String directive,
      Consumer<Map<String, String>> tune)
      throws Exception {
    Map<String, String> s = pipeline.settings(emulator.baseUrl(), work);
    s.put("batch.lane", "bulk");
    s.put("batch.max.requests", "6");
    s.put("batch.max.wait.ms", "3000");
    s.put("batch.poll.interval.ms", "200");
    tune.accept(s);
    byte[] png = smallPng();
    try (EditstreamProcessor processor =
        EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)))) {
      for (int i = 0; i < jobs; i++) {
        // Distinct instructions: no answer comes from the dedup cache.
        pipeline.send(job("f-" + i, directive + "remove the background " + i, png));
      }
      pipeline.flush();
      assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= jobs, Duration.ofSeconds(180)))
          .as("outcomes %d of %d; emulator %s", pipeline.outcomes(), jobs, emulator.stats())
          .isTrue();
      // Anything late (a second outcome, an answer of a cancelled batch) would be here by now.
      pipeline.readToCommittedEnd(Duration.ofSeconds(10));
    }
    assertThat(pipeline.duplicateOutcomes).as("doubled: %s", pipeline.doubled).isZero();
    assertThat(pipeline.outcomes()).as("exactly one outcome each").isEqualTo(jobs);
    assertThat(emulator.stats().batchRequests())
        .as("each job in exactly one batch")
        .isEqualTo(jobs);
  }

  @Test
  void shouldSendEveryJobOfAFailedBatchOnlineOnce(@TempDir Path work) throws Exception {
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withLatencyMeanMs(50)
                    .withBatchTurnaround(Duration.ofMillis(1500)));
        Pipeline pipeline = new Pipeline()) {
      run(emulator, pipeline, work, JOBS, "[emulator:batch=fail] ", s -> {});

      EmulatorStats stats = emulator.stats();
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(JOBS);
      assertThat(stats.requests()).as("one online call per job, no more").isEqualTo(JOBS);
      assertThat(stats.batchesCancelled()).isZero();
      assertThat(stats.batchesCreated()).as("no batch created again").isBetween(2L, (long) JOBS);
      for (EditResult r : pipeline.results.values()) {
        assertThat(r.getAttempts()).as("the failed batch made no call for it").isEqualTo(1);
        assertThat(r.getImages()).hasSize(1);
      }
    }
  }

  @Test
  void shouldFailEveryJobOfAnExpiredBatchOnceWhenSetToFail(@TempDir Path work) throws Exception {
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withBatchTurnaround(Duration.ofMillis(1500)));
        Pipeline pipeline = new Pipeline()) {
      run(
          emulator,
          pipeline,
          work,
          JOBS,
          "[emulator:batch=expire] ",
          s -> s.put("batch.on.batch.failure", "fail"));

      assertThat(pipeline.results).isEmpty();
      assertThat(pipeline.failures).hasSize(JOBS);
      for (EditFailure f : pipeline.failures.values()) {
        assertThat(f.getMessage()).contains("EXPIRED");
        assertThat(f.getRetryable()).isFalse();
      }
      EmulatorStats stats = emulator.stats();
      assertThat(stats.requests()).as("no online call").isZero();
      assertThat(stats.batchesCancelled()).isZero();
    }
  }

  private static EmulatorConfig slowBatches() {
    // Far longer than the deadline: only the deadline can end these batches.
    return EmulatorConfig.defaults()
        .withLatencyMeanMs(50)
        .withBatchTurnaround(Duration.ofMinutes(10));
  }

  @Test
  void shouldCancelABatchPastItsDeadlineAndAnswerItsJobsOnlineOnce(@TempDir Path work)
      throws Exception {
    try (Emulator emulator = Emulator.start(slowBatches());
        Pipeline pipeline = new Pipeline()) {
      run(
          emulator,
          pipeline,
          work,
          JOBS,
          "",
          s -> {
            s.put("batch.deadline.ms", "4000");
            s.put("batch.on.deadline", "online");
          });

      EmulatorStats stats = emulator.stats();
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(JOBS);
      assertThat(stats.requests()).as("one online call per job").isEqualTo(JOBS);
      assertThat(stats.batchesCreated()).isBetween(2L, (long) JOBS);
      assertThat(stats.batchesCancelled())
          .as("every batch cancelled, once")
          .isEqualTo(stats.batchesCreated());
    }
  }

  @Test
  void shouldFailEveryJobOfABatchPastItsDeadlineAsExpiredWhenSetToFail(@TempDir Path work)
      throws Exception {
    try (Emulator emulator = Emulator.start(slowBatches());
        Pipeline pipeline = new Pipeline()) {
      run(
          emulator,
          pipeline,
          work,
          JOBS,
          "",
          s -> {
            s.put("batch.deadline.ms", "4000");
            s.put("batch.on.deadline", "fail");
          });

      EmulatorStats stats = emulator.stats();
      assertThat(pipeline.results).isEmpty();
      assertThat(pipeline.failuresByCode()).isEqualTo(Map.of(FailureCode.EXPIRED, JOBS));
      assertThat(pipeline.failures.values())
          .allSatisfy(f -> assertThat(f.getMessage()).contains("batch.deadline.ms=4000"));
      assertThat(stats.requests()).as("no online call").isZero();
      assertThat(stats.batchesCancelled()).isEqualTo(stats.batchesCreated());
    }
  }

  @Test
  void shouldKeepBatchesWaitingInTheBatchQuotaInsteadOfDrawing429s(@TempDir Path work)
      throws Exception {
    int jobs = 24;
    // The service takes one batch at a time (and answers 429 to a second); the pool holds one
    // batch's requests, so the lane never asks for a second while one runs. Without the pool the
    // four batches would be asked for at once and three answered 429.
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withBatchTurnaround(Duration.ofMillis(800))
                    .withBatchMaxConcurrent(1));
        // One task, so every batch is a full one of 6 (batch.max.wait.ms is far off).
        Pipeline pipeline = new Pipeline(1)) {
      run(
          emulator,
          pipeline,
          work,
          jobs,
          "",
          s -> {
            s.put("batch.max.wait.ms", "120000");
            s.put("batch.quota.enqueued.requests", "6");
          });

      EmulatorStats stats = emulator.stats();
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(jobs);
      assertThat(stats.batchesRefused()).as("no 429 from the batch service").isZero();
      assertThat(stats.batchesCreated()).isGreaterThanOrEqualTo(4);
      assertThat(stats.requests()).as("no online call").isZero();
    }
  }

  @Test
  void shouldWaitAndCreateABatchLaterWhenTheServiceAnswers429(@TempDir Path work) throws Exception {
    int jobs = 18;
    // No limit in the pool: the service's 429s (one batch at a time) are what the lane meets.
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withLatencyMeanMs(50)
                    .withBatchTurnaround(Duration.ofMillis(800))
                    .withBatchMaxConcurrent(1));
        Pipeline pipeline = new Pipeline(1)) {
      run(
          emulator,
          pipeline,
          work,
          jobs,
          "",
          s -> {
            s.put("batch.max.wait.ms", "120000");
            s.put("batch.quota.enqueued.requests", "0");
          });

      EmulatorStats stats = emulator.stats();
      assertThat(stats.batchesRefused()).as("the service did answer 429").isPositive();
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(jobs);
      assertThat(stats.requests()).as("a 429 is not a refused batch: no online call").isZero();
      assertThat(stats.batchesCreated()).isEqualTo(3);
    }
  }
}
