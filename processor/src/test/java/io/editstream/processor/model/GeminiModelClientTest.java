package io.editstream.processor.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.genai.Client;
import com.google.genai.errors.GenAiIOException;
import com.google.genai.types.ClientOptions;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.testsupport.WireServer;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Gemini door over real HTTP, through the official SDK, against the emulator. */
class GeminiModelClientTest {
  private static final String KEY = "test-key-s3cr3t-value";
  private static final String MODEL = "gemini-3.1-flash-image-preview";

  private static Emulator emulator;
  private static GeminiModelClient client;
  private static byte[] rocket;

  @BeforeAll
  static void start() throws IOException {
    emulator =
        Emulator.start(EmulatorConfig.defaults().withApiKey(KEY).withLatencyMeanMs(5).withSeed(7));
    client = clientWith(KEY, Duration.ofSeconds(30));
    try (InputStream in = GeminiModelClientTest.class.getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  private static GeminiModelClient clientWith(String key, Duration timeout) {
    return new GeminiModelClient(
        new GeminiModelClient.Settings(key, emulator.baseUrl(), timeout, 16));
  }

  private static ModelRequest request(String instruction, String... steps) {
    return new ModelRequest(
        MODEL,
        List.of(new ModelRequest.InputPart(rocket, "image/jpeg")),
        instruction,
        List.of(steps),
        ImageSize.SIZE_512,
        "1:1");
  }

  private static Outcome call(GeminiModelClient c, ModelRequest r) throws Exception {
    return c.generate(r).get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldReturnADecodableImageWithUsage() throws Exception {
    Outcome outcome = call(client, request("remove the background"));

    assertThat(outcome).isInstanceOf(Success.class);
    Success s = (Success) outcome;
    var image = ImageIO.read(new ByteArrayInputStream(s.images().get(0).bytes()));
    assertThat(image.getWidth()).isEqualTo(512);
    assertThat(image.getHeight()).isEqualTo(512);
    assertThat(s.usage().outputImageTokens()).isEqualTo(747);
    assertThat(s.usage().promptTokens()).isPositive();
    assertThat(s.modelVersion()).isNotBlank();
    assertThat(s.provider()).isEqualTo("ai-studio");
  }

  @Test
  void shouldRunStepsAsOneConversation() throws Exception {
    long before = emulator.stats().requestsForModel(MODEL);
    Outcome outcome = call(client, request("remove the background", "add a drop shadow", "crop"));

    assertThat(outcome).isInstanceOf(Success.class);
    assertThat(emulator.stats().requestsForModel(MODEL) - before).isEqualTo(3);
    Success s = (Success) outcome;
    assertThat(s.usage().outputImageTokens()).isEqualTo(3 * 747);
  }

  @Test
  void shouldSendEveryEarlierModelTurnBackWithItsThoughtSignatures() throws Exception {
    List<JsonNode> sent = new CopyOnWriteArrayList<>();
    try (GeminiModelClient c = clientRewriting(body -> sent.add(body.deepCopy()))) {
      Outcome outcome = call(c, request("remove the background", "add a drop shadow", "crop"));

      // The emulator refuses Gemini 3 model turns without their signatures, as the API does.
      assertThat(outcome).as("%s", outcome).isInstanceOf(Success.class);
    }
    assertThat(sent).hasSize(3);
    for (int call = 0; call < 3; call++) {
      List<JsonNode> modelTurns = new ArrayList<>();
      sent.get(call)
          .path("contents")
          .forEach(
              t -> {
                if ("model".equals(t.path("role").asText())) {
                  modelTurns.add(t);
                }
              });
      assertThat(modelTurns).as("model turns in call %d", call + 1).hasSize(call);
      for (JsonNode turn : modelTurns) {
        assertThat(turn.path("parts")).isNotEmpty();
        assertThat(turn.path("parts"))
            .allSatisfy(p -> assertThat(p.path("thoughtSignature").asText()).isNotBlank());
      }
    }
  }

  @Test
  void shouldFailAStepWhoseEarlierModelTurnLostItsThoughtSignatures() throws Exception {
    try (GeminiModelClient c =
        clientRewriting(
            body ->
                body.path("contents")
                    .forEach(
                        t ->
                            t.path("parts")
                                .forEach(p -> ((ObjectNode) p).remove("thoughtSignature"))))) {
      Outcome outcome = call(c, request("remove the background", "add a drop shadow"));

      assertThat(outcome).isInstanceOf(Failure.class);
      Failure f = (Failure) outcome;
      assertThat(f.code()).isEqualTo(FailureCode.MODEL_INVALID_ARGUMENT);
      assertThat(f.retryable()).isFalse();
      assertThat(f.httpStatus()).isEqualTo(400);
      assertThat(f.message()).contains("missing a thought_signature");
    }
  }

  /**
   * A client over the emulator whose request bodies pass through {@code rewrite} on the wire, below
   * the SDK: what the SDK sent can be read, or damaged as a careless client would.
   */
  private static GeminiModelClient clientRewriting(Consumer<JsonNode> rewrite) {
    ObjectMapper json = new ObjectMapper();
    okhttp3.OkHttpClient http =
        GeminiModelClient.httpClient(4)
            .newBuilder()
            .addInterceptor(
                chain -> {
                  okhttp3.Request request = chain.request();
                  if (request.body() == null) {
                    return chain.proceed(request);
                  }
                  okio.Buffer buffer = new okio.Buffer();
                  request.body().writeTo(buffer);
                  JsonNode body = json.readTree(buffer.readUtf8());
                  rewrite.accept(body);
                  okhttp3.RequestBody rewritten =
                      okhttp3.RequestBody.create(
                          json.writeValueAsBytes(body), request.body().contentType());
                  return chain.proceed(
                      request.newBuilder().method(request.method(), rewritten).build());
                })
            .build();
    return new GeminiModelClient(
        Client.builder()
            .apiKey(KEY)
            .httpOptions(
                GeminiModelClient.httpOptions("v1beta", emulator.baseUrl(), Duration.ofSeconds(30)))
            .clientOptions(ClientOptions.builder().customHttpClient(http).build())
            .build(),
        "ai-studio",
        KEY,
        System::nanoTime);
  }

  @Test
  void shouldMapServerErrorsToRetryableFailures() throws Exception {
    Failure f = (Failure) call(client, request("edit [emulator:fail=503]"));
    assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(f.retryable()).isTrue();
    assertThat(f.httpStatus()).isEqualTo(503);

    Failure timeout = (Failure) call(client, request("edit [emulator:fail=504]"));
    assertThat(timeout.code()).isEqualTo(FailureCode.MODEL_TIMEOUT);
    assertThat(timeout.retryable()).isTrue();
  }

  @Test
  void shouldCarryTheServersRetryDelayOn429() throws Exception {
    Failure f = (Failure) call(client, request("edit [emulator:fail=429]"));
    assertThat(f.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(f.retryable()).isTrue();
    assertThat(f.retryAfter()).isNotNull().isPositive();
  }

  @Test
  void shouldNameThePerDayQuotaOfA429ThroughTheSdk() throws Exception {
    try (Emulator limited =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withRpd(1));
        GeminiModelClient c =
            new GeminiModelClient(
                new GeminiModelClient.Settings(
                    "k", limited.baseUrl(), Duration.ofSeconds(30), 4))) {
      Failure perMinute = (Failure) call(client, request("edit [emulator:fail=429]"));
      assertThat(call(c, request("first"))).isInstanceOf(Success.class);

      Failure perDay = (Failure) call(c, request("second"));

      assertThat(perDay.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
      assertThat(perDay.quotaId()).isEqualTo("GenerateRequestsPerDayPerProjectPerModel");
      assertThat(perDay.perDayQuota()).isTrue();
      assertThat(perMinute.quotaId()).isEqualTo("GenerateRequestsPerMinutePerProjectPerModel");
      assertThat(perMinute.perDayQuota()).isFalse();
    }
  }

  @Test
  void shouldPreferAPerDayViolationAmongSeveral() {
    String message =
        "{\"violations\": [{\"quotaId\": \"GenerateRequestsPerMinutePerProjectPerModel\"},"
            + " {\"quotaId\" : \"GenerateRequestsPerDayPerProjectPerModel\"}]}";

    assertThat(GeminiModelClient.quotaId(message))
        .contains("GenerateRequestsPerDayPerProjectPerModel");
    assertThat(GeminiModelClient.quotaId("no details")).isEmpty();
  }

  @Test
  void shouldFailSafetyOutcomesPermanently() throws Exception {
    Failure blocked = (Failure) call(client, request("edit [emulator:block=PROHIBITED_CONTENT]"));
    assertThat(blocked.code()).isEqualTo(FailureCode.PROMPT_BLOCKED);
    assertThat(blocked.retryable()).isFalse();
    assertThat(blocked.finishReason()).isEqualTo("PROHIBITED_CONTENT");

    Failure unsafe = (Failure) call(client, request("edit [emulator:finish=IMAGE_SAFETY]"));
    assertThat(unsafe.code()).isEqualTo(FailureCode.IMAGE_SAFETY);
    assertThat(unsafe.retryable()).isFalse();
    assertThat(unsafe.finishReason()).isEqualTo("IMAGE_SAFETY");

    Failure noImage = (Failure) call(client, request("edit [emulator:noimage]"));
    assertThat(noImage.code()).isEqualTo(FailureCode.NO_IMAGE);
    assertThat(noImage.retryable()).isFalse();
  }

  @Test
  void shouldFailBadRequestsPermanently() throws Exception {
    ModelRequest bad =
        new ModelRequest(
            MODEL,
            List.of(new ModelRequest.InputPart(rocket, "application/pdf")),
            "edit",
            List.of(),
            ImageSize.SIZE_1K,
            null);
    Failure f = (Failure) call(client, bad);
    assertThat(f.code()).isEqualTo(FailureCode.MODEL_INVALID_ARGUMENT);
    assertThat(f.retryable()).isFalse();
    assertThat(f.httpStatus()).isEqualTo(400);
  }

  @Test
  void shouldReportAWrongKeyWithoutRevealingIt() throws Exception {
    String wrong = "wrong-key-do-not-log-9876";
    try (GeminiModelClient c = clientWith(wrong, Duration.ofSeconds(30))) {
      Failure f = (Failure) call(c, request("edit"));
      assertThat(f.code()).isEqualTo(FailureCode.MODEL_AUTH);
      assertThat(f.retryable()).isFalse();
      assertThat(f.message()).doesNotContain(wrong).doesNotContain(KEY);
    }
  }

  @Test
  void shouldTurnDroppedConnectionsAndTimeoutsIntoRetryableFailures() throws Exception {
    Failure dropped = (Failure) call(client, request("edit [emulator:drop]"));
    assertThat(dropped.retryable()).isTrue();
    assertThat(dropped.code()).isIn(FailureCode.MODEL_UNAVAILABLE, FailureCode.MODEL_TIMEOUT);

    try (GeminiModelClient impatient = clientWith(KEY, Duration.ofMillis(1000))) {
      Failure slow = (Failure) call(impatient, request("edit [emulator:slow=5000]"));
      assertThat(slow.code()).isEqualTo(FailureCode.MODEL_TIMEOUT);
      assertThat(slow.retryable()).isTrue();
    }
  }

  @Test
  void shouldReadAnImageAnswerLongerThanJacksonsDefaultStringLimit() throws Exception {
    // A 4K PNG of 15 MiB: its base64 (20,971,520 chars) is over Jackson's default 20,000,000.
    byte[] image = new byte[15 * 1024 * 1024];
    new Random(4).nextBytes(image);
    byte[] base64 = Base64.getEncoder().encode(image);
    assertThat(base64.length).isGreaterThan(20_000_000);
    try (WireServer server =
            WireServer.start(
                WireServer.ok(
                    ascii(
                        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
                            + "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\""),
                    base64,
                    ascii(
                        "\"}}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":"
                            + "{\"promptTokenCount\":300,\"candidatesTokenCount\":2000,"
                            + "\"totalTokenCount\":2300}}")));
        GeminiModelClient c = overWire(server)) {
      Outcome outcome = call(c, request("upscale to 4K"));

      assertThat(outcome).isInstanceOf(Success.class);
      assertThat(Arrays.equals(((Success) outcome).images().get(0).bytes(), image))
          .as("the decoded image is the one sent")
          .isTrue();
      assertThat(server.requests()).isEqualTo(1);
    }
  }

  @Test
  void shouldReportAnAnswerThatCannotBeReadAsABadResponseNotAConnectionFailure() throws Exception {
    try (WireServer server = WireServer.start(WireServer.ok(ascii("<html>Bad Gateway</html>")));
        GeminiModelClient c = overWire(server)) {
      Failure garbage = (Failure) call(c, request("edit"));

      server.answer(
          WireServer.ok(
              ascii("{\"candidates\":[{\"content\":{\"parts\":[{\"inlineData\":{\"data\":\"iVBO")));
      Failure truncated = (Failure) call(c, request("edit"));

      for (Failure f : List.of(garbage, truncated)) {
        assertThat(f.code()).isEqualTo(FailureCode.MODEL_BAD_RESPONSE);
        assertThat(f.retryable()).as("another call is billed again").isFalse();
        assertThat(f.message()).startsWith("the model's answer could not be read");
      }
      assertThat(server.requests()).isEqualTo(2);
    }
  }

  @Test
  void shouldClassifyAnAnswerOverTheReadLimitAsABadResponse() {
    Failure f =
        client.classify(
            new GenAiIOException(
                "Failed to parse",
                new StreamConstraintsException("String value length exceeds the maximum")));

    assertThat(f.code()).isEqualTo(FailureCode.MODEL_BAD_RESPONSE);
    assertThat(f.retryable()).isFalse();
  }

  @Test
  void shouldSendEachCallOnceWhenTheServerHangsUpWithoutAnAnswer() throws Exception {
    // A first call answered on a kept-alive connection: OkHttp took a hang-up on a connection that
    // had served before for a stale one and sent the call again, unseen.
    try (WireServer server =
            WireServer.start(
                WireServer.firstThen(
                    WireServer.ok(ascii("{\"candidates\":[]}")), WireServer.hangUp()));
        GeminiModelClient c = overWire(server)) {
      assertThat(((Failure) call(c, request("edit"))).code()).isEqualTo(FailureCode.NO_IMAGE);

      for (int call = 1; call <= 3; call++) {
        Failure f = (Failure) call(c, request("edit"));

        assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
        assertThat(f.retryable()).isTrue();
        assertThat(server.requests()).as("requests after call %d", call).isEqualTo(1 + call);
      }
      // OkHttp would also repeat a 503 that says Retry-After: 0 on its own.
      server.answer(
          WireServer.http(
              503,
              new String[] {"Retry-After: 0"},
              ascii("{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}")));
      Failure busy = (Failure) call(c, request("edit"));

      assertThat(busy.httpStatus()).isEqualTo(503);
      assertThat(server.requests()).isEqualTo(5);
    }
  }

  /**
   * The quota log counts a call from when its request leaves (issue 17): the hook runs when OkHttp
   * sends the request, not when the call began (a request queued behind the connection limit has
   * not left), once per call, and the header that names it never reaches the server.
   */
  @Test
  void shouldRunTheLeavingHookWhenTheRequestLeavesAndKeepItsHeaderInside() throws Exception {
    java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
    byte[] busy =
        ascii("{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}");
    try (WireServer server =
            WireServer.start(
                out -> {
                  try {
                    answer.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return WireServer.http(503, new String[0], busy).send(out);
                });
        GeminiModelClient c = overWire(server)) { // at most 2 requests at a time
      java.util.concurrent.atomic.AtomicInteger left =
          new java.util.concurrent.atomic.AtomicInteger();
      List<CompletableFuture<Outcome>> calls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        calls.add(c.generate(request("edit " + i), left::incrementAndGet));
      }
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> server.requests() == 2);
      assertThat(left).as("the third waits for a connection: it has not left").hasValue(2);

      answer.countDown();
      for (CompletableFuture<Outcome> call : calls) {
        assertThat(call.get(30, TimeUnit.SECONDS)).isInstanceOf(Failure.class);
      }
      assertThat(left).hasValue(3);
      assertThat(server.requests()).isEqualTo(3);
      assertThat(server.headerLines())
          .isNotEmpty()
          .noneMatch(
              h -> h.toLowerCase(java.util.Locale.ROOT).startsWith(GeminiModelClient.CALL_HEADER));
    }
  }

  @Test
  void shouldKeepTheSdksUnboundedPhasesAndOurConnectionLimits() {
    okhttp3.OkHttpClient http = GeminiModelClient.httpClient(7);

    // The SDK's own client has no connect/read/write limits (OkHttp's default is 10 s, far below a
    // 4K generation); HttpOptions.timeout bounds the whole call instead.
    assertThat(http.connectTimeoutMillis()).isZero();
    assertThat(http.readTimeoutMillis()).isZero();
    assertThat(http.writeTimeoutMillis()).isZero();
    assertThat(http.dispatcher().getMaxRequests()).isEqualTo(7);
    assertThat(http.dispatcher().getMaxRequestsPerHost()).isEqualTo(7);
  }

  private static GeminiModelClient overWire(WireServer server) {
    return new GeminiModelClient(
        new GeminiModelClient.Settings(KEY, server.baseUrl(), Duration.ofSeconds(30), 2));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void shouldReadRetryDelayFromTheSdkMessage() {
    String message =
        "Quota exceeded. Details: [{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
            + "\"retryDelay\": \"47.5s\"}]";
    assertThat(GeminiModelClient.retryDelay(message)).contains(Duration.ofMillis(47_500));
    assertThat(GeminiModelClient.retryDelay("no hint")).isEmpty();
  }
}
