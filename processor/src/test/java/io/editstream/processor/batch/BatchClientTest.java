package io.editstream.processor.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.batch.BatchClient.KeyedRequest;
import io.editstream.processor.batch.BatchClient.Poll;
import io.editstream.processor.batch.BatchClient.State;
import io.editstream.processor.batch.BatchClient.Submission;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The batch adapter over real HTTP, through the official SDK, against the emulator. */
class BatchClientTest {

  private static final String KEY = "batch-test-key-s3cr3t";
  private static final String MODEL = "gemini-3.1-flash-image-preview";

  private Emulator emulator;

  @BeforeEach
  void start() {
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey(KEY)
                .withBatchTurnaround(Duration.ofSeconds(2))
                .withBatchMaxConcurrent(2));
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  private BatchClient client(long inlineMaxBytes) {
    return new BatchClient(
        new GeminiModelClient.Settings(KEY, emulator.baseUrl(), Duration.ofSeconds(30), 4),
        inlineMaxBytes);
  }

  private static ModelRequest edit(String instruction) {
    return new ModelRequest(
        MODEL,
        List.of(new ModelRequest.InputPart(png(), "image/png")),
        instruction,
        List.of(),
        ImageSize.SIZE_512,
        "1:1");
  }

  private static byte[] png() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB), "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<KeyedRequest> threeJobs() {
    return List.of(
        new KeyedRequest("job-1", edit("remove the background")),
        new KeyedRequest("job-2", edit("add a logo [emulator:block=PROHIBITED_CONTENT]")),
        new KeyedRequest("job-3", edit("brighten [emulator:fail=503]")));
  }

  private static Poll awaitEnd(BatchClient client, String name) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.poll(name), p -> p.state() != null && p.state().terminal());
  }

  private static void assertThreeOutcomes(Poll poll) {
    assertThat(poll.state()).isEqualTo(State.SUCCEEDED);
    assertThat(poll.outcomes()).containsOnlyKeys("job-1", "job-2", "job-3");
    Outcome.Success success = (Outcome.Success) poll.outcomes().get("job-1");
    assertThat(success.images().get(0).mimeType()).isEqualTo("image/png");
    assertThat(success.usage().outputImageTokens()).isEqualTo(747);
    assertThat(success.provider()).isEqualTo("ai-studio");
    Outcome.Failure blocked = (Outcome.Failure) poll.outcomes().get("job-2");
    assertThat(blocked.code()).isEqualTo(FailureCode.PROMPT_BLOCKED);
    assertThat(blocked.retryable()).isFalse();
    Outcome.Failure unavailable = (Outcome.Failure) poll.outcomes().get("job-3");
    assertThat(unavailable.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(unavailable.retryable()).isTrue();
    assertThat(unavailable.httpStatus()).isEqualTo(503);
  }

  @Test
  void shouldSubmitSmallBatchesInlineAndMapEachAnswerLikeAnOnlineOne() {
    try (BatchClient client = client(20L * 1024 * 1024)) {
      Submission submitted = client.submit(MODEL, "catalogue-inline", threeJobs());

      Submission.Accepted accepted = (Submission.Accepted) submitted;
      assertThat(accepted.viaFile()).isFalse();
      assertThreeOutcomes(awaitEnd(client, accepted.batchName()));
      assertThat(emulator.stats().batchesCreated()).isEqualTo(1);
      assertThat(emulator.stats().batchRequests()).isEqualTo(3);
      assertThat(emulator.stats().filesUploaded()).isZero();
      assertThat(emulator.stats().requests()).isZero();
    }
  }

  @Test
  void shouldSendLargeBatchesAsAFileAndReadTheResponsesFile() {
    try (BatchClient client = client(1)) {
      Submission.Accepted accepted =
          (Submission.Accepted) client.submit(MODEL, "catalogue-file", threeJobs());

      assertThat(accepted.viaFile()).isTrue();
      assertThreeOutcomes(awaitEnd(client, accepted.batchName()));
      assertThat(emulator.stats().filesUploaded()).isEqualTo(1);
      assertThat(emulator.stats().batchesCreated()).isEqualTo(1);
    }
  }

  @Test
  void shouldMatchInlineAnswersByPositionWhenTheServiceLeavesOutTheirKeys() {
    try (Emulator quirky =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withApiKey(KEY)
                    .withBatchTurnaround(Duration.ofMillis(200))
                    .withBatchEchoesMetadata(false));
        BatchClient client =
            new BatchClient(
                new GeminiModelClient.Settings(KEY, quirky.baseUrl(), Duration.ofSeconds(30), 4),
                20L * 1024 * 1024)) {
      String name =
          ((Submission.Accepted) client.submit(MODEL, "no-metadata", threeJobs())).batchName();
      awaitEnd(client, name);

      assertThat(client.poll(name).outcomes()).isEmpty();
      assertThreeOutcomes(client.poll(name, List.of("job-1", "job-2", "job-3")));
    }
  }

  @Test
  void shouldReportAFailedBatchWithoutOutcomes() {
    try (BatchClient client = client(20L * 1024 * 1024)) {
      String failing =
          ((Submission.Accepted)
                  client.submit(
                      MODEL,
                      "doomed",
                      List.of(new KeyedRequest("a", edit("x [emulator:batch=fail]")))))
              .batchName();

      Poll failed = awaitEnd(client, failing);

      assertThat(failed.state()).isEqualTo(State.FAILED);
      assertThat(failed.outcomes()).isEmpty();
    }
  }

  /** An emulator whose batches run for an hour: none can end while a test looks at it. */
  private void slowBatches() {
    emulator.close();
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey(KEY)
                .withBatchTurnaround(Duration.ofHours(1))
                .withBatchMaxConcurrent(2));
  }

  @Test
  void shouldCancelABatchWhichThenEndsWithoutOutcomes() {
    slowBatches();
    try (BatchClient client = client(20L * 1024 * 1024)) {
      String name =
          ((Submission.Accepted)
                  client.submit(MODEL, "cancelled", List.of(new KeyedRequest("b", edit("y")))))
              .batchName();
      assertThat(client.poll(name).state()).isEqualTo(State.PENDING);

      assertThat(client.cancel(name)).isEmpty();

      Poll gone = client.poll(name);
      assertThat(gone.state()).isEqualTo(State.CANCELLED);
      assertThat(gone.outcomes()).isEmpty();
      assertThat(emulator.stats().batchesCancelled()).isEqualTo(1);
    }
  }

  @Test
  void shouldReturnARefusalAsAFailureAndCreateNothing() {
    slowBatches();
    try (BatchClient client = client(20L * 1024 * 1024)) {
      client.submit(MODEL, "one", List.of(new KeyedRequest("a", edit("a"))));
      client.submit(MODEL, "two", List.of(new KeyedRequest("b", edit("b"))));

      Submission third = client.submit(MODEL, "three", List.of(new KeyedRequest("c", edit("c"))));

      Outcome.Failure refused = ((Submission.Refused) third).failure();
      assertThat(refused.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
      assertThat(refused.retryable()).isTrue();
      assertThat(refused.message()).doesNotContain(KEY);
      assertThat(emulator.stats().batchesCreated()).isEqualTo(2);
    }
  }

  @Test
  void shouldReadAnUnknownBatchAsAFailureNotAnException() {
    try (BatchClient client = client(0)) {
      Poll poll = client.poll("batches/nosuchbatch");

      assertThat(poll.state()).isNull();
      assertThat(poll.failure().code()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
    }
  }

  @Test
  void shouldRefuseDuplicateKeysAndMultiStepRequestsBeforeCallingTheApi() {
    try (BatchClient client = client(0)) {
      assertThatThrownBy(
              () ->
                  client.submit(
                      MODEL,
                      "dup",
                      List.of(new KeyedRequest("a", edit("x")), new KeyedRequest("a", edit("y")))))
          .hasMessageContaining("key: 'a' appears twice");
      ModelRequest twoSteps =
          new ModelRequest(MODEL, List.of(), "first", List.of("second"), ImageSize.SIZE_512, null);
      assertThatThrownBy(
              () -> client.submit(MODEL, "steps", List.of(new KeyedRequest("s", twoSteps))))
          .hasMessageContaining("steps:");
      assertThat(emulator.stats().batchesCreated()).isZero();
    }
  }
}
