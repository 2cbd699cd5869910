package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.processor.blob.LocalBlobStore;
import io.editstream.processor.cache.ResultCache;
import io.editstream.processor.dispatch.ModelDispatcher;
import io.editstream.processor.image.FetchPolicy;
import io.editstream.processor.image.ImageEncoder;
import io.editstream.processor.image.ImageLimits;
import io.editstream.processor.image.ImageLoader;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelIds;
import io.editstream.processor.testsupport.WireServer;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure's {@code attempts} against what a model server really received: the production
 * topology, the real dispatcher, image loader and Gemini door, over a real socket.
 */
class ModelCallsWiringTest {

  @TempDir Path stateDir;
  @TempDir Path blobs;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private WireServer server;
  private GeminiModelClient model;
  private TopologyHarness harness;

  @BeforeEach
  void setUp() throws IOException {
    server = WireServer.start(WireServer.hangUp());
    model =
        new GeminiModelClient(
            new GeminiModelClient.Settings("k", server.baseUrl(), Duration.ofSeconds(10), 4));
    ModelDispatcher dispatcher =
        new ModelDispatcher(
            new ImageLoader(ImageLimits.defaults(), FetchPolicy.defaults(), Runnable::run),
            new ImageEncoder(ImageLimits.defaults()),
            ResultCache.builder().executor(Runnable::run).build(),
            null,
            model,
            new LocalBlobStore(blobs),
            new ModelDispatcher.Pricing(0.5, 60.0),
            262_144,
            ModelIds.of(TopologyHarness.MODEL),
            true,
            Runnable::run,
            Clock.systemUTC());
    JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, 4, Clock.systemUTC(), meters);
    harness = new TopologyHarness(runtime, "model-calls-test", stateDir);
  }

  @AfterEach
  void tearDown() throws IOException {
    harness.close();
    model.close();
    server.close();
  }

  @Test
  void shouldCountEachModelCallOnceWhenTheServerHangsUp() {
    // Attempt 1 gets a 503 on a kept-alive connection; attempts 2 and 3 a hang-up, the first of
    // them on that connection, where OkHttp used to send the call a second time.
    server.answer(
        WireServer.firstThen(
            WireServer.http(
                503,
                new String[0],
                "{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}"
                    .getBytes(StandardCharsets.US_ASCII)),
            WireServer.hangUp()));
    harness.submit("j1", job("j1", png()));

    EditFailure f = awaitFailure();

    assertThat(f.getCode()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(f.getAttempts()).as("attempts run out (3)").isEqualTo(3);
    assertThat(server.requests()).as("requests the server read").isEqualTo(3);
  }

  @Test
  void shouldReportNoAttemptsForAJobWhoseImageIsRejectedBeforeAnyCall() {
    harness.submit("j2", job("j2", "not an image".getBytes(StandardCharsets.US_ASCII)));

    EditFailure f = awaitFailure();

    assertThat(f.getCode()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(f.getAttempts()).isZero();
    assertThat(server.requests()).isZero();
  }

  @Test
  void shouldFailAnUnreadableAnswerOnceAsABadResponse() {
    server.answer(WireServer.ok("<html>Bad Gateway</html>".getBytes(StandardCharsets.US_ASCII)));
    harness.submit("j3", job("j3", png()));

    EditFailure f = awaitFailure();

    assertThat(f.getCode()).isEqualTo(FailureCode.MODEL_BAD_RESPONSE);
    assertThat(f.getRetryable()).isFalse();
    assertThat(f.getAttempts()).isEqualTo(1);
    assertThat(server.requests()).isEqualTo(1);
  }

  /** Runs the task's punctuation until the job's one failure is out (calls finish off-thread). */
  private EditFailure awaitFailure() {
    List<EditFailure> out = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              harness.driver.advanceWallClockTime(JobProcessor.TICK);
              out.addAll(harness.failures.readValuesToList());
              return !out.isEmpty();
            });
    assertThat(out).hasSize(1);
    assertThat(harness.results.isEmpty()).isTrue();
    return out.get(0);
  }

  private static EditJob job(String id, byte[] image) {
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setData(ByteBuffer.wrap(image))
                    .build()))
        .setInstruction("remove the background")
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_512)
                .build())
        .setPriority(Priority.BULK)
        .setSubmittedAt(Instant.parse("2026-01-01T00:00:00Z"))
        .build();
  }

  private static byte[] png() {
    try {
      BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
