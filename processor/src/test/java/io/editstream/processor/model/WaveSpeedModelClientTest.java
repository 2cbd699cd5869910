package io.editstream.processor.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import io.editstream.testkit.MutableClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WaveSpeedAI's submit-and-poll protocol over real HTTP against the emulator. */
class WaveSpeedModelClientTest {
  private static final String KEY = "ws-secret-key-0042";
  private static final String MODEL_PATH = "google/nano-banana-2/edit";

  private static Emulator emulator;
  private static WaveSpeedModelClient client;
  private static byte[] rocket;

  @BeforeAll
  static void start() throws IOException {
    emulator =
        Emulator.start(
            EmulatorConfig.defaults().withBearerToken(KEY).withLatencyMeanMs(30).withSeed(5));
    client = clientWith(KEY, emulator.baseUrl(), Duration.ofSeconds(20));
    try (InputStream in =
        WaveSpeedModelClientTest.class.getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  static WaveSpeedModelClient clientWith(String key, String baseUrl, Duration timeout) {
    return new WaveSpeedModelClient(
        WaveSpeedModelClient.Settings.of(key, baseUrl)
            .withTimeout(timeout)
            .withPolling(Duration.ofMillis(5), Duration.ofMillis(40)));
  }

  private static ModelRequest request(String instruction, String... steps) {
    return new ModelRequest(
        "gemini-3.1-flash-image-preview",
        List.of(new ModelRequest.InputPart(rocket, "image/jpeg")),
        instruction,
        List.of(steps),
        ImageSize.SIZE_1K,
        "1:1");
  }

  private static Outcome call(ModelClient c, ModelRequest r) throws Exception {
    return c.generate(r).get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldSubmitPollAndDownloadTheImage() throws Exception {
    Outcome outcome = call(client, request("remove the background"));

    assertThat(outcome).isInstanceOf(Success.class);
    Success s = (Success) outcome;
    assertThat(s.provider()).isEqualTo("wavespeed");
    assertThat(s.modelVersion()).isEqualTo(MODEL_PATH);
    assertThat(s.images().get(0).mimeType()).isEqualTo("image/png");
    var image = ImageIO.read(new ByteArrayInputStream(s.images().get(0).bytes()));
    assertThat(image.getWidth()).isEqualTo(1024);
    assertThat(image.getHeight()).isEqualTo(1024);
    assertThat(s.usage()).isEqualTo(Outcome.Usage.NONE);
    assertThat(s.modelTime()).isPositive();
  }

  @Test
  void shouldRunStepsAsSuccessiveEditsOfThePreviousOutput() throws Exception {
    long before = emulator.stats().requestsForModel(MODEL_PATH);
    Outcome outcome = call(client, request("remove the background", "add a shadow", "crop"));

    assertThat(outcome).isInstanceOf(Success.class);
    assertThat(emulator.stats().requestsForModel(MODEL_PATH) - before).isEqualTo(3);
  }

  @Test
  void shouldMapNsfwFlagsAndFailedTasks() throws Exception {
    Failure nsfw = (Failure) call(client, request("edit [emulator:nsfw]"));
    assertThat(nsfw.code()).isEqualTo(FailureCode.IMAGE_SAFETY);
    assertThat(nsfw.retryable()).isFalse();

    Failure failed = (Failure) call(client, request("edit [emulator:task-fail]"));
    assertThat(failed.code()).isEqualTo(FailureCode.MODEL_ERROR);
    assertThat(failed.retryable()).isTrue();
    assertThat(failed.message()).contains("Internal error");

    Failure blocked = (Failure) call(client, request("edit [emulator:block=PROHIBITED_CONTENT]"));
    assertThat(blocked.code()).isEqualTo(FailureCode.PROMPT_BLOCKED);
    assertThat(blocked.retryable()).isFalse();

    Failure noImage = (Failure) call(client, request("edit [emulator:noimage]"));
    assertThat(noImage.code()).isEqualTo(FailureCode.NO_IMAGE);
  }

  @Test
  void shouldMapHttpErrorsOnSubmit() throws Exception {
    Failure unavailable = (Failure) call(client, request("edit [emulator:fail=503]"));
    assertThat(unavailable.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(unavailable.retryable()).isTrue();
    assertThat(unavailable.httpStatus()).isEqualTo(503);

    Failure bad = (Failure) call(client, request("edit [emulator:fail=400]"));
    assertThat(bad.code()).isEqualTo(FailureCode.MODEL_INVALID_ARGUMENT);
    assertThat(bad.retryable()).isFalse();

    String wrongKey = "ws-wrong-key-do-not-log";
    try (WaveSpeedModelClient wrong =
        clientWith(wrongKey, emulator.baseUrl(), Duration.ofSeconds(5))) {
      Failure auth = (Failure) call(wrong, request("edit"));
      assertThat(auth.code()).isEqualTo(FailureCode.MODEL_AUTH);
      assertThat(auth.httpStatus()).isEqualTo(401);
      assertThat(auth.retryable()).isFalse();
      assertThat(auth.message()).doesNotContain(wrongKey).doesNotContain(KEY);
    }
  }

  @Test
  void shouldCarryRetryAfterOn429() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    try (Emulator limited =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(5).withRpm(1).withClock(clock));
        WaveSpeedModelClient c = clientWith("k", limited.baseUrl(), Duration.ofSeconds(10))) {
      assertThat(call(c, request("first"))).isInstanceOf(Success.class);
      clock.advance(java.time.Duration.ofSeconds(15));

      Failure quota = (Failure) call(c, request("second"));

      assertThat(quota.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
      assertThat(quota.retryable()).isTrue();
      assertThat(quota.httpStatus()).isEqualTo(429);
      assertThat(quota.retryAfter()).isEqualTo(Duration.ofSeconds(45));
    }
  }

  @Test
  void shouldGiveUpWithModelTimeoutWhenTheTaskTakesTooLong() throws Exception {
    try (WaveSpeedModelClient impatient =
        clientWith(KEY, emulator.baseUrl(), Duration.ofMillis(400))) {
      Failure slow = (Failure) call(impatient, request("edit [emulator:slow=5000]"));

      assertThat(slow.code()).isEqualTo(FailureCode.MODEL_TIMEOUT);
      assertThat(slow.retryable()).isTrue();
      assertThat(slow.modelTime()).isLessThan(Duration.ofSeconds(3));
    }
  }

  @Test
  void shouldReportAConnectionLostPastTheDeadlineAsATimeout() throws Exception {
    // A server that takes the request, lets the call's deadline pass, then drops the connection:
    // what the JDK client reports for a timeout racing the exchange's close.
    Failure f = connectionDroppedAfter(Duration.ofSeconds(6));

    assertThat(f.code()).as(f.message()).isEqualTo(FailureCode.MODEL_TIMEOUT);
    assertThat(f.retryable()).isTrue();
  }

  @Test
  void shouldReportAConnectionLostBeforeTheDeadlineAsUnavailable() throws Exception {
    Failure f = connectionDroppedAfter(Duration.ZERO);

    assertThat(f.code()).as(f.message()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
  }

  /**
   * A call (5 s timeout, fake clock) to a local socket that reads the request, lets {@code elapsed}
   * pass on the client's clock, then closes the connection without an answer.
   */
  private static Failure connectionDroppedAfter(Duration elapsed) throws Exception {
    AtomicLong now = new AtomicLong();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        WaveSpeedModelClient c =
            new WaveSpeedModelClient(
                WaveSpeedModelClient.Settings.of(KEY, "http://127.0.0.1:" + server.getLocalPort())
                    .withTimeout(Duration.ofSeconds(5)),
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                null,
                now::get)) {
      CompletableFuture<Outcome> outcome = c.generate(request("edit"));
      try (Socket accepted = server.accept()) {
        accepted.getInputStream().read(new byte[1024]);
        now.addAndGet(elapsed.toNanos());
      }
      return (Failure) outcome.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldReportAnUnreachableServerAsRetryable() throws Exception {
    try (WaveSpeedModelClient nowhere =
        clientWith(KEY, "http://127.0.0.1:1", Duration.ofSeconds(5))) {
      Failure f = (Failure) call(nowhere, request("edit"));
      assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
      assertThat(f.retryable()).isTrue();
    }
  }
}
