package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Batch and Files API over raw HTTP: the REST states, the error shapes, the upload protocol.
 */
class BatchHttpTest {

  static final Duration TURNAROUND = Duration.ofSeconds(60);

  MutableClock clock;
  Emulator emulator;

  @BeforeEach
  void start() {
    clock = new MutableClock(Instant.parse("2026-01-05T08:00:00Z"));
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withLatencyMeanMs(1)
                .withClock(clock)
                .withBatchTurnaround(TURNAROUND));
  }

  @AfterEach
  void stop() {
    emulator.close();
  }

  static ObjectNode batchBody(String... instructions) {
    ObjectNode body = Http.JSON.createObjectNode();
    ObjectNode batch = body.putObject("batch").put("displayName", "raw");
    ArrayNode requests = batch.putObject("inputConfig").putObject("requests").putArray("requests");
    for (int i = 0; i < instructions.length; i++) {
      ObjectNode entry = requests.addObject();
      entry.set("request", Http.editBody(instructions[i]));
      entry.putObject("metadata").put("key", "k" + i);
    }
    return body;
  }

  HttpResponse<String> post(String path, JsonNode body) {
    return Http.send(
        Http.request(emulator, path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build());
  }

  HttpResponse<String> get(String path) {
    return Http.send(Http.request(emulator, path).GET().build());
  }

  HttpResponse<String> create(JsonNode body) {
    return post("/v1beta/models/" + Sdk.MODEL + ":batchGenerateContent", body);
  }

  static void assertBadField(HttpResponse<String> response, String field) {
    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = Http.json(response);
    assertThat(error.at("/error/status").asText()).isEqualTo("INVALID_ARGUMENT");
    assertThat(Http.detail(error, "BadRequest").at("/fieldViolations/0/field").asText())
        .isEqualTo(field);
  }

  @Test
  void shouldReportBatchStatesTheRestWayAndTheOutputTwiceWhenDone() {
    HttpResponse<String> created = create(batchBody("brighten", "darken"));

    assertThat(created.statusCode()).isEqualTo(200);
    JsonNode op = Http.json(created);
    String name = op.path("name").asText();
    assertThat(op.at("/metadata/@type").asText()).endsWith("GenerateContentBatch");
    assertThat(op.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_PENDING");
    assertThat(op.at("/metadata/batchStats/requestCount").asText()).isEqualTo("2");
    assertThat(op.has("done")).isFalse();
    JsonNode stats = Http.json(get("/stats"));
    assertThat(stats.path("batchesCreated").asLong()).isEqualTo(1);
    assertThat(stats.path("batchRequests").asLong()).isEqualTo(2);
    assertThat(stats.path("requestsByBatch").path(name).asLong()).isEqualTo(2);

    clock.advance(TURNAROUND.dividedBy(2));
    assertThat(Http.json(get("/v1beta/" + name)).at("/metadata/state").asText())
        .isEqualTo("BATCH_STATE_RUNNING");

    clock.advance(TURNAROUND.dividedBy(2));
    JsonNode done =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> Http.json(get("/v1beta/" + name)), o -> o.path("done").asBoolean());
    assertThat(done.at("/metadata/state").asText()).isEqualTo("BATCH_STATE_SUCCEEDED");
    assertThat(done.at("/metadata/batchStats/successfulRequestCount").asText()).isEqualTo("2");
    assertThat(done.at("/response/@type").asText()).endsWith("GenerateContentBatchOutput");
    assertThat(done.at("/response/inlinedResponses/inlinedResponses").size()).isEqualTo(2);
    assertThat(
            done.at("/metadata/output/inlinedResponses/inlinedResponses/1/metadata/key").asText())
        .isEqualTo("k1");
  }

  @Test
  void shouldLeaveOutTheMetadataWhenToldToAnswerAsGooglesBackendHasBeenSeenTo() {
    try (Emulator quirky =
        Emulator.start(
            EmulatorConfig.defaults()
                .withClock(clock)
                .withBatchTurnaround(TURNAROUND)
                .withBatchEchoesMetadata(false))) {
      String name =
          Http.json(
                  Http.send(
                      Http.request(quirky, "/v1beta/models/" + Sdk.MODEL + ":batchGenerateContent")
                          .POST(HttpRequest.BodyPublishers.ofString(batchBody("a", "b").toString()))
                          .build()))
              .path("name")
              .asText();
      clock.advance(TURNAROUND);

      JsonNode done =
          await()
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> Http.json(Http.send(Http.request(quirky, "/v1beta/" + name).GET().build())),
                  o -> o.path("done").asBoolean());

      JsonNode responses = done.at("/metadata/output/inlinedResponses/inlinedResponses");
      assertThat(responses.size()).isEqualTo(2);
      assertThat(responses.get(0).has("response")).isTrue();
      assertThat(responses.get(0).has("metadata")).isFalse();
    }
  }

  @Test
  void shouldAnswerAnUnknownBatchWithGoogles404() {
    HttpResponse<String> response = get("/v1beta/batches/nosuchbatch");

    assertThat(response.statusCode()).isEqualTo(404);
    JsonNode error = Http.json(response);
    assertThat(error.at("/error/code").asInt()).isEqualTo(404);
    assertThat(error.at("/error/status").asText()).isEqualTo("NOT_FOUND");
    assertThat(error.at("/error/message").asText()).contains("batches/nosuchbatch");
    assertThat(
            post("/v1beta/batches/nosuchbatch:cancel", Http.JSON.createObjectNode()).statusCode())
        .isEqualTo(404);
  }

  @Test
  void shouldRefuseABatchForAModelItDoesNotServe() {
    HttpResponse<String> response =
        post("/v1beta/models/no-such-model:batchGenerateContent", batchBody("x"));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(Http.json(response).at("/error/message").asText()).contains("models/no-such-model");
    assertThat(emulator.stats().batchesCreated()).isZero();
  }

  @Test
  void shouldNameTheFieldOfAnEmptyOrMissingInput() {
    assertBadField(create(batchBody()), "batch.input_config.requests.requests");

    ObjectNode noInput = Http.JSON.createObjectNode();
    noInput.putObject("batch").put("displayName", "empty");
    assertBadField(create(noInput), "batch.input_config");

    ObjectNode noRequest = batchBody("x");
    ((ObjectNode) noRequest.at("/batch/inputConfig/requests/requests/0")).remove("request");
    assertBadField(create(noRequest), "batch.input_config.requests.requests[0].request");

    assertThat(emulator.stats().batchesCreated()).isZero();
  }

  @Test
  void shouldRefuseABatchFromAFileThatWasNeverUploaded() {
    ObjectNode body = Http.JSON.createObjectNode();
    body.putObject("batch").putObject("inputConfig").put("fileName", "files/missing");

    HttpResponse<String> response = create(body);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(Http.json(response).at("/error/message").asText())
        .contains("files/missing")
        .contains("batch.input_config.file_name");
  }

  @Test
  void shouldRefuseABatchOverTheEnqueuedTokenLimitWithQuotaFailure() {
    try (Emulator limited =
        Emulator.start(
            EmulatorConfig.defaults()
                .withClock(clock)
                .withBatchTurnaround(TURNAROUND)
                .withBatchMaxEnqueuedTokens(300))) {
      // Each request: a 64x48 image (258 tokens) and a few words of text.
      HttpResponse<String> first =
          Http.send(
              Http.request(limited, "/v1beta/models/" + Sdk.MODEL + ":batchGenerateContent")
                  .POST(HttpRequest.BodyPublishers.ofString(batchBody("one").toString()))
                  .build());
      HttpResponse<String> second =
          Http.send(
              Http.request(limited, "/v1beta/models/" + Sdk.MODEL + ":batchGenerateContent")
                  .POST(HttpRequest.BodyPublishers.ofString(batchBody("two").toString()))
                  .build());

      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(second.statusCode()).isEqualTo(429);
      JsonNode error = Http.json(second);
      assertThat(error.at("/error/status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(Http.detail(error, "QuotaFailure").at("/violations/0/quotaMetric").asText())
          .isEqualTo(QuotaKind.BATCH_ENQUEUED_TOKENS.metric());
      assertThat(Http.detail(error, "RetryInfo").path("retryDelay").asText()).isEqualTo("60s");
      assertThat(limited.stats().batchesCreated()).isEqualTo(1);
      assertThat(limited.stats().batchesRefused()).isEqualTo(1);
    }
  }

  @Test
  void shouldRefuseAnInvalidPageToken() {
    assertBadField(get("/v1beta/batches?pageToken=%21%21"), "page_token");
  }

  @Test
  void shouldAskForTheKeyOnBatchRoutesWhenTheEmulatorHasOne() {
    try (Emulator keyed = Emulator.start(EmulatorConfig.defaults().withApiKey("secret-key"))) {
      HttpResponse<String> anonymous =
          Http.send(Http.request(keyed, "/v1beta/batches").GET().build());
      HttpResponse<String> withKey =
          Http.send(
              Http.request(keyed, "/v1beta/batches")
                  .header("x-goog-api-key", "secret-key")
                  .GET()
                  .build());

      assertThat(anonymous.statusCode()).isEqualTo(403);
      assertThat(withKey.statusCode()).isEqualTo(200);
      assertThat(Http.json(withKey).path("operations").size()).isZero();
    }
  }

  HttpResponse<String> startUpload(String length) {
    HttpRequest.Builder b =
        Http.request(emulator, "/upload/v1beta/files")
            .header("X-Goog-Upload-Protocol", "resumable")
            .header("X-Goog-Upload-Command", "start")
            .header("X-Goog-Upload-Header-Content-Type", "application/jsonl")
            .POST(HttpRequest.BodyPublishers.ofString("{\"file\":{\"displayName\":\"raw\"}}"));
    if (length != null) {
      b.header("X-Goog-Upload-Header-Content-Length", length);
    }
    return Http.send(b.build());
  }

  HttpResponse<String> chunk(String url, String command, long offset, String data) {
    String path = url.substring(emulator.baseUrl().length());
    return Http.send(
        Http.request(emulator, path)
            .header("X-Goog-Upload-Command", command)
            .header("X-Goog-Upload-Offset", Long.toString(offset))
            .POST(HttpRequest.BodyPublishers.ofString(data))
            .build());
  }

  @Test
  void shouldUploadInChunksAndRefuseAChunkAtTheWrongOffset() {
    HttpResponse<String> started = startUpload("10");
    assertThat(started.statusCode()).isEqualTo(200);
    assertThat(started.headers().firstValue("X-Goog-Upload-Status")).hasValue("active");
    String url = started.headers().firstValue("X-Goog-Upload-URL").orElseThrow();
    assertThat(url).startsWith(emulator.baseUrl() + "/upload/v1beta/files?upload_id=");

    HttpResponse<String> first = chunk(url, "upload", 0, "01234");
    HttpResponse<String> wrong = chunk(url, "upload", 3, "xxxxx");
    HttpResponse<String> last = chunk(url, "upload, finalize", 5, "56789");

    assertThat(first.headers().firstValue("X-Goog-Upload-Status")).hasValue("active");
    assertBadField(wrong, "X-Goog-Upload-Offset");
    assertThat(last.statusCode()).isEqualTo(200);
    assertThat(last.headers().firstValue("X-Goog-Upload-Status")).hasValue("final");
    JsonNode file = Http.json(last).path("file");
    assertThat(file.path("sizeBytes").asText()).isEqualTo("10");
    assertThat(file.path("state").asText()).isEqualTo("ACTIVE");
    HttpResponse<String> media =
        get("/download/v1beta/" + file.path("name").asText() + ":download?alt=media");
    assertThat(media.body()).isEqualTo("0123456789");
    assertThat(Http.json(get("/v1beta/" + file.path("name").asText())).path("displayName").asText())
        .isEqualTo("raw");

    HttpResponse<String> deleted =
        Http.send(Http.request(emulator, "/v1beta/" + file.path("name").asText()).DELETE().build());
    assertThat(deleted.statusCode()).isEqualTo(200);
    HttpResponse<String> gone = get("/v1beta/" + file.path("name").asText());
    assertThat(gone.statusCode()).isEqualTo(403);
    assertThat(Http.json(gone).at("/error/status").asText()).isEqualTo("PERMISSION_DENIED");
    assertThat(emulator.stats().filesUploaded()).isEqualTo(1);
  }

  @Test
  void shouldRefuseAnUploadThatIsNotResumableOrShorterThanDeclared() {
    HttpResponse<String> multipart =
        Http.send(
            Http.request(emulator, "/upload/v1beta/files")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build());
    assertBadField(multipart, "X-Goog-Upload-Protocol");

    String url = startUpload("10").headers().firstValue("X-Goog-Upload-URL").orElseThrow();
    assertBadField(
        chunk(url, "upload, finalize", 0, "short"), "X-Goog-Upload-Header-Content-Length");
  }

  @Test
  void shouldNameTheLineOfABadRequestsFile() {
    String url = startUpload(null).headers().firstValue("X-Goog-Upload-URL").orElseThrow();
    String jsonl = "{\"key\":\"a\",\"request\":" + Http.editBody("ok") + "}\n" + "not json\n";
    JsonNode file = Http.json(chunk(url, "upload, finalize", 0, jsonl)).path("file");
    ObjectNode body = Http.JSON.createObjectNode();
    body.putObject("batch").putObject("inputConfig").put("fileName", file.path("name").asText());

    HttpResponse<String> response = create(body);

    assertBadField(response, "batch.input_config.file_name");
    assertThat(Http.json(response).at("/error/message").asText()).contains("Line 2");
    assertThat(jsonl.getBytes(StandardCharsets.UTF_8).length)
        .isEqualTo(Long.parseLong(file.path("sizeBytes").asText()));
  }
}
