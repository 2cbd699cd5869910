package io.editstream.processor.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.sun.net.httpserver.HttpServer;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Vertex AI through the SDK's Vertex mode, over real HTTP against the emulator's Vertex route. */
class VertexModelClientTest {
  private static final String TOKEN = "ya29.vertex-test-token";
  private static final String MODEL = "gemini-3.1-flash-image-preview";

  private static Emulator emulator;
  private static VertexModelClient client;
  private static byte[] rocket;

  @BeforeAll
  static void start() throws IOException {
    emulator =
        Emulator.start(
            EmulatorConfig.defaults().withBearerToken(TOKEN).withLatencyMeanMs(5).withSeed(3));
    client = clientWith(emulator.baseUrl(), TOKEN);
    try (InputStream in = VertexModelClientTest.class.getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  static GoogleCredentials token(String value) {
    return GoogleCredentials.create(
        new AccessToken(value, new Date(System.currentTimeMillis() + 3_600_000)));
  }

  static VertexModelClient clientWith(String baseUrl, String token) {
    return new VertexModelClient(
        new VertexModelClient.Settings(
            "shop-prod", "global", null, baseUrl, Duration.ofSeconds(30), 8),
        token(token));
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

  private static Outcome call(ModelClient c, ModelRequest r) throws Exception {
    return c.generate(r).get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldSendTheVertexPathAndTheBearerToken() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpServer capture = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    capture.createContext(
        "/",
        exchange -> {
          seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
          seen.add("auth=" + exchange.getRequestHeaders().getFirst("Authorization"));
          seen.add("key=" + exchange.getRequestHeaders().getFirst("x-goog-api-key"));
          exchange.getRequestBody().readAllBytes();
          byte[] body = "{\"candidates\":[]}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    capture.start();
    try (VertexModelClient c =
        clientWith("http://127.0.0.1:" + capture.getAddress().getPort(), TOKEN)) {
      Outcome outcome = call(c, request("edit"));

      assertThat(outcome).isInstanceOf(Failure.class); // no candidate: NO_IMAGE
      assertThat(seen)
          .containsExactly(
              "POST /v1beta1/projects/shop-prod/locations/global/publishers/google/models/"
                  + MODEL
                  + ":generateContent",
              "auth=Bearer " + TOKEN,
              "key=null");
    } finally {
      capture.stop(0);
    }
  }

  @Test
  void shouldReturnAnImageFromTheVertexRoute() throws Exception {
    Outcome outcome = call(client, request("remove the background"));

    assertThat(outcome).isInstanceOf(Success.class);
    Success s = (Success) outcome;
    assertThat(s.provider()).isEqualTo("vertex");
    assertThat(ImageIO.read(new ByteArrayInputStream(s.images().get(0).bytes())).getWidth())
        .isEqualTo(512);
    assertThat(s.usage().outputImageTokens()).isEqualTo(747);
    assertThat(emulator.stats().requestsForKey(TOKEN)).isPositive();
  }

  @Test
  void shouldRunStepsAsOneConversation() throws Exception {
    long before = emulator.stats().requestsForModel(MODEL);
    Success s = (Success) call(client, request("remove the background", "add a shadow"));

    assertThat(emulator.stats().requestsForModel(MODEL) - before).isEqualTo(2);
    assertThat(s.usage().outputImageTokens()).isEqualTo(2 * 747);
  }

  @Test
  void shouldMapAWrongTokenToModelAuthAndOutagesToRetryableFailures() throws Exception {
    try (VertexModelClient wrong = clientWith(emulator.baseUrl(), "ya29.stolen")) {
      Failure f = (Failure) call(wrong, request("edit"));
      assertThat(f.code()).isEqualTo(FailureCode.MODEL_AUTH);
      assertThat(f.httpStatus()).isEqualTo(401);
      assertThat(f.retryable()).isFalse();
      assertThat(f.message()).doesNotContain("ya29.stolen");
    }
    Failure unavailable = (Failure) call(client, request("edit [emulator:fail=503]"));
    assertThat(unavailable.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(unavailable.retryable()).isTrue();

    Failure quota = (Failure) call(client, request("edit [emulator:fail=429]"));
    assertThat(quota.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(quota.retryAfter()).isPositive();
  }

  @Test
  void shouldSendEachCallOnceWhenTheServerHangsUpWithoutAnAnswer() throws Exception {
    // The first call is answered on a kept-alive connection, where OkHttp used to resend.
    try (WireServer server =
            WireServer.start(
                WireServer.firstThen(
                    WireServer.ok("{\"candidates\":[]}".getBytes(StandardCharsets.US_ASCII)),
                    WireServer.hangUp()));
        VertexModelClient c = clientWith(server.baseUrl(), TOKEN)) {
      assertThat(((Failure) call(c, request("edit"))).code()).isEqualTo(FailureCode.NO_IMAGE);

      for (int call = 1; call <= 3; call++) {
        Failure f = (Failure) call(c, request("edit"));

        assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
        assertThat(server.requests()).as("requests after call %d", call).isEqualTo(1 + call);
      }
    }
  }

  @Test
  void shouldNameTheSettingWhenCredentialsCannotBeRead(@TempDir Path dir) throws IOException {
    Path bad = Files.writeString(dir.resolve("sa.json"), "{\"type\":\"nonsense\"}");
    VertexModelClient.Settings settings =
        new VertexModelClient.Settings(
            "shop-prod", "global", bad, emulator.baseUrl(), Duration.ofSeconds(5), 2);

    assertThatThrownBy(() -> new VertexModelClient(settings))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vertex.credentials.file")
        .hasMessageContaining(bad.toString());
    assertThatThrownBy(
            () ->
                new VertexModelClient.Settings(" ", "global", null, null, Duration.ofSeconds(5), 2))
        .hasMessageContaining("vertex.project");
  }
}
