package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.genai.Client;
import com.google.genai.errors.ClientException;
import com.google.genai.types.BatchJob;
import com.google.genai.types.BatchJobSource;
import com.google.genai.types.CreateBatchJobConfig;
import com.google.genai.types.File;
import com.google.genai.types.FileState;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.InlinedRequest;
import com.google.genai.types.InlinedResponse;
import com.google.genai.types.JobState;
import com.google.genai.types.ListBatchJobsConfig;
import com.google.genai.types.Part;
import com.google.genai.types.UploadFileConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Batch API and Files API through the official google-genai SDK over HTTP: if the SDK can
 * create, poll, list, cancel and delete batches and upload and download files against the emulator,
 * the emulator speaks the protocol as Google does.
 */
class SdkBatchTest {

  static final Duration TURNAROUND = Duration.ofMinutes(10);

  MutableClock clock;
  Emulator emulator;
  Client client;

  @BeforeEach
  void start() {
    clock = new MutableClock(Instant.parse("2026-01-05T08:00:00Z"));
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withLatencyMeanMs(5)
                .withClock(clock)
                .withBatchTurnaround(TURNAROUND)
                .withBatchMaxConcurrent(3));
    client = Sdk.client(emulator, "batch-key");
  }

  @AfterEach
  void stop() {
    client.close();
    emulator.close();
  }

  static InlinedRequest request(String key, String instruction) {
    return InlinedRequest.builder()
        .contents(Sdk.edit(instruction, TestImages.png(64, 48)))
        .config(Sdk.imageConfig("512", "1:1"))
        .metadata(Map.of("key", key))
        .build();
  }

  BatchJob create(InlinedRequest... requests) {
    return client.batches.create(
        Sdk.MODEL,
        BatchJobSource.builder().inlinedRequests(requests).build(),
        CreateBatchJobConfig.builder().displayName("catalogue").build());
  }

  static JobState.Known state(BatchJob job) {
    return job.state().orElseThrow().knownEnum();
  }

  BatchJob awaitEnd(String name) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.batches.get(name, null), job -> !running(job));
  }

  static boolean running(BatchJob job) {
    JobState.Known s = state(job);
    return s == JobState.Known.JOB_STATE_PENDING || s == JobState.Known.JOB_STATE_RUNNING;
  }

  @Test
  void shouldRunAnInlineBatchFromPendingToSucceededWithOneKeyedAnswerPerRequest() {
    BatchJob created =
        create(
            request("sku-1", "remove the background"),
            request("sku-2", "add a shadow [emulator:block=PROHIBITED_CONTENT]"),
            request("sku-3", "crop tight [emulator:fail=503]"));

    String name = created.name().orElseThrow();
    assertThat(name).matches("batches/[a-z0-9]+");
    assertThat(state(created)).isEqualTo(JobState.Known.JOB_STATE_PENDING);
    assertThat(created.displayName()).hasValue("catalogue");
    assertThat(created.model()).hasValue("models/" + Sdk.MODEL);
    assertThat(created.createTime()).hasValue(clock.instant());

    clock.advance(TURNAROUND.dividedBy(2));
    assertThat(state(client.batches.get(name, null))).isEqualTo(JobState.Known.JOB_STATE_RUNNING);

    clock.advance(TURNAROUND.dividedBy(2));
    BatchJob done = awaitEnd(name);

    assertThat(state(done)).isEqualTo(JobState.Known.JOB_STATE_SUCCEEDED);
    assertThat(done.endTime()).isPresent();
    List<InlinedResponse> responses = done.dest().orElseThrow().inlinedResponses().orElseThrow();
    assertThat(responses)
        .extracting(r -> r.metadata().orElseThrow().get("key"))
        .containsExactly("sku-1", "sku-2", "sku-3");
    GenerateContentResponse edited = responses.get(0).response().orElseThrow();
    List<Part> parts =
        edited.candidates().orElseThrow().get(0).content().orElseThrow().parts().get();
    assertThat(parts.get(1).inlineData().orElseThrow().mimeType()).hasValue("image/png");
    assertThat(edited.usageMetadata().orElseThrow().promptTokenCount()).isPresent();
    assertThat(
            responses.get(1).response().orElseThrow().promptFeedback().orElseThrow().blockReason())
        .hasValueSatisfying(r -> assertThat(r.toString()).isEqualTo("PROHIBITED_CONTENT"));
    assertThat(responses.get(2).response()).isEmpty();
    assertThat(responses.get(2).error().orElseThrow().code()).hasValue(503);

    EmulatorStats stats = emulator.stats();
    assertThat(stats.batchesCreated()).isEqualTo(1);
    assertThat(stats.batchRequests()).isEqualTo(3);
    assertThat(stats.requestsByBatch()).containsExactly(Map.entry(name, 3L));
    // Batch requests are not online calls.
    assertThat(stats.requests()).isZero();
  }

  @Test
  void shouldRunAFileBatchAndAnswerInAResponsesFile(@TempDir Path dir) throws IOException {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      String instruction = i == 1 ? "tint it [emulator:fail=500]" : "tint it " + i;
      jsonl
          .append("{\"key\":\"line-")
          .append(i)
          .append("\",\"request\":")
          .append(Http.editBody(instruction))
          .append("}\n");
    }
    byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);

    File uploaded =
        client.files.upload(
            bytes,
            UploadFileConfig.builder()
                .mimeType("application/jsonl")
                .displayName("requests")
                .build());

    String fileName = uploaded.name().orElseThrow();
    assertThat(fileName).matches("files/[a-z0-9]+");
    assertThat(uploaded.sizeBytes()).hasValue((long) bytes.length);
    assertThat(uploaded.state().orElseThrow().knownEnum()).isEqualTo(FileState.Known.ACTIVE);
    File fetched = client.files.get(fileName, null);
    assertThat(fetched.displayName()).hasValue("requests");
    assertThat(fetched.mimeType()).hasValue("application/jsonl");

    BatchJob created =
        client.batches.create(Sdk.MODEL, BatchJobSource.builder().fileName(fileName).build(), null);
    clock.advance(TURNAROUND);
    BatchJob done = awaitEnd(created.name().orElseThrow());

    assertThat(state(done)).isEqualTo(JobState.Known.JOB_STATE_SUCCEEDED);
    String responsesFile = done.dest().orElseThrow().fileName().orElseThrow();
    Path saved = dir.resolve("responses.jsonl");
    client.files.download(responsesFile, saved.toString(), null);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(saved)) {
      lines.add(Http.json(line));
    }
    assertThat(lines)
        .extracting(l -> l.path("key").asText())
        .containsExactly("line-0", "line-1", "line-2");
    assertThat(Http.image(lines.get(0).path("response"))).isNotEmpty();
    assertThat(lines.get(1).at("/error/code").asInt()).isEqualTo(500);
    assertThat(lines.get(2).has("response")).isTrue();
    assertThat(emulator.stats().filesUploaded()).isEqualTo(1);
  }

  @Test
  void shouldListEveryBatchNewestFirstAcrossPages() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      names.add(0, create(request("k" + i, "edit " + i)).name().orElseThrow());
    }

    List<String> listed = new ArrayList<>();
    client
        .batches
        .list(ListBatchJobsConfig.builder().pageSize(2).build())
        .forEach(job -> listed.add(job.name().orElseThrow()));

    assertThat(listed).containsExactlyElementsOf(names);
  }

  @Test
  void shouldCancelARunningBatchAndKeepItCancelled() {
    String name = create(request("a", "recolour")).name().orElseThrow();
    clock.advance(TURNAROUND.dividedBy(2));

    client.batches.cancel(name, null);

    assertThat(state(client.batches.get(name, null))).isEqualTo(JobState.Known.JOB_STATE_CANCELLED);
    clock.advance(TURNAROUND);
    BatchJob later = client.batches.get(name, null);
    assertThat(state(later)).isEqualTo(JobState.Known.JOB_STATE_CANCELLED);
    assertThat(later.dest()).isEmpty();
    assertThat(emulator.stats().batchesCancelled()).isEqualTo(1);
    // Cancelling an ended batch changes nothing.
    client.batches.cancel(name, null);
    assertThat(emulator.stats().batchesCancelled()).isEqualTo(1);
  }

  @Test
  void shouldForgetADeletedBatch() {
    String name = create(request("a", "sharpen")).name().orElseThrow();

    client.batches.delete(name, null);

    ClientException e =
        catchThrowableOfType(ClientException.class, () -> client.batches.get(name, null));
    assertThat(e.code()).isEqualTo(404);
    assertThat(e.status()).isEqualTo("NOT_FOUND");
    assertThat(e.message()).contains(name);
  }

  @Test
  void shouldEndABatchFailedOrExpiredWhenItsFirstRequestSaysSo() {
    String failing = create(request("a", "edit [emulator:batch=fail]")).name().orElseThrow();
    String expiring =
        create(request("b", "edit [emulator:batch=expire]"), request("c", "edit"))
            .name()
            .orElseThrow();

    clock.advance(TURNAROUND);

    BatchJob failed = client.batches.get(failing, null);
    assertThat(state(failed)).isEqualTo(JobState.Known.JOB_STATE_FAILED);
    assertThat(failed.dest()).isEmpty();
    BatchJob expired = client.batches.get(expiring, null);
    assertThat(state(expired)).isEqualTo(JobState.Known.JOB_STATE_EXPIRED);
    assertThat(expired.dest()).isEmpty();
  }

  @Test
  void shouldRefuseABatchOverTheConcurrentLimitUntilOneEnds() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      names.add(create(request("k" + i, "edit " + i)).name().orElseThrow());
    }

    ClientException e =
        catchThrowableOfType(ClientException.class, () -> create(request("k3", "one too many")));

    assertThat(e.code()).isEqualTo(429);
    assertThat(e.status()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(e.message()).contains(QuotaKind.BATCH_CONCURRENT.metric());
    assertThat(emulator.stats().batchesCreated()).isEqualTo(3);
    clock.advance(TURNAROUND);
    names.forEach(this::awaitEnd);
    assertThat(create(request("k3", "now there is room")).name()).isPresent();
    assertThat(emulator.stats().batchesCreated()).isEqualTo(4);
  }
}
