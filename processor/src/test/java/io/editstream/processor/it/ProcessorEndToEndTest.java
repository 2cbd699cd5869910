package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.EditStep;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs in, outcomes out, through the real broker, the real registry and the emulator over HTTP:
 * every job gets exactly one outcome with the right code, and bad records land in the DLQ.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessorEndToEndTest {
  private Emulator emulator;
  private Pipeline pipeline;
  private EditstreamProcessor processor;
  private byte[] rocket;
  private Path inputs;
  private final List<String> expected = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path work) throws Exception {
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey("it-key-0123456789")
                .withLatencyMeanMs(20)
                .withSeed(3));
    pipeline = new Pipeline();
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    inputs = Files.createDirectories(work.resolve("inputs"));
    Files.write(inputs.resolve("rocket.jpg"), rocket);
    try (var big = new java.io.RandomAccessFile(inputs.resolve("huge.jpg").toFile(), "rw")) {
      big.setLength(25L * 1024 * 1024); // sparse: over the 20 MB limit without writing it
    }
    var settings = pipeline.settings(emulator.baseUrl(), work);
    settings.put("input.file.root", inputs.toString());
    processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
    // Jobs sent during the start-up rebalances may be dispatched, moved and dispatched again
    // (model calls are at-least-once across a move); the attempt counts below assume no move.
    assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
    submitEverything();
    boolean all =
        pipeline.readUntil(
            () ->
                expected.stream()
                        .allMatch(
                            id ->
                                pipeline.results.containsKey(id)
                                    || pipeline.failures.containsKey(id))
                    && pipeline.dlq.size() >= 2,
            Duration.ofSeconds(90));
    assertThat(all)
        .as(
            "all outcomes arrive; results %s failures %s",
            pipeline.results.keySet(), pipeline.failures.keySet())
        .isTrue();
    // Late duplicates, if any, would arrive shortly after.
    pipeline.readUntil(() -> false, Duration.ofSeconds(1));
  }

  @AfterAll
  void stop() {
    if (processor != null) {
      processor.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  private void send(EditJob job) {
    expected.add(job.getJobId());
    pipeline.send(job);
  }

  private void submitEverything() {
    for (int i = 0; i < 5; i++) {
      send(job("ok-" + i, "remove the background, variant " + i, rocket));
    }
    EditJob webp = job("webp-out", "brighter colours", rocket);
    webp.getOutput().setFormat(ImageFormat.WEBP);
    send(webp);
    EditJob steps = job("steps", "remove the background", rocket);
    steps.setSteps(
        List.of(
            EditStep.newBuilder().setInstruction("add a drop shadow").build(),
            EditStep.newBuilder().setInstruction("crop to the product").build()));
    send(steps);
    EditJob tall = job("tall", "make it a tall banner", rocket);
    tall.getOutput().setAspectRatio("1:4");
    send(tall);
    pipeline.sendRaw(
        "poison-1".getBytes(StandardCharsets.UTF_8),
        "not avro at all".getBytes(StandardCharsets.UTF_8));
    send(job("retry", "add a drop shadow [emulator:fail-times=2:503]", rocket));
    send(job("down", "add a drop shadow [emulator:fail=503]", rocket));
    send(job("blocked", "edit [emulator:block=PROHIBITED_CONTENT]", rocket));
    send(job("unsafe", "edit [emulator:finish=IMAGE_SAFETY]", rocket));
    send(job("noimage", "edit [emulator:noimage]", rocket));
    send(job("bad-request", "edit [emulator:fail=400]", rocket));
    // An unknown schema id in an otherwise well-formed frame.
    pipeline.sendRaw(
        "poison-2".getBytes(StandardCharsets.UTF_8),
        new byte[] {0, 0x7f, (byte) 0xff, 0x12, 0x34, 2, 4, 6});
    byte[] random = new byte[4096];
    new Random(1).nextBytes(random);
    send(job("bad-bytes", "edit", random));
    EditJob pdf = job("wrong-type", "edit", rocket);
    pdf.getImages().get(0).setMimeType("application/pdf");
    send(pdf);
    byte[][] seventeen = new byte[17][];
    java.util.Arrays.fill(seventeen, new byte[] {1});
    send(job("too-many", "edit", seventeen));
    send(job("no-instruction", "   ", rocket));
    send(uriJob("escape", "file:///etc/passwd"));
    send(uriJob("metadata", "http://169.254.169.254/latest/meta-data"));
    send(job("bomb", "edit", pngHeader(50_000, 50_000)));
    send(uriJob("from-file", inputs.resolve("rocket.jpg").toUri().toString()));
    send(uriJob("oversized", inputs.resolve("huge.jpg").toUri().toString()));
    send(uriJob("outside-root", inputs.resolveSibling("elsewhere.jpg").toUri().toString()));
    // The same job again: one outcome only.
    pipeline.send(job("ok-0", "remove the background, variant 0", rocket));
    pipeline.flush();
  }

  private static EditJob uriJob(String id, String uri) {
    EditJob j = job(id, "edit");
    j.setImages(List.of(InputImage.newBuilder().setMimeType("image/png").setUri(uri).build()));
    return j;
  }

  @Test
  void shouldPublishResultsWithImagesThatDecode() throws Exception {
    for (int i = 0; i < 5; i++) {
      EditResult r = pipeline.results.get("ok-" + i);
      assertThat(r).as("result for ok-%d", i).isNotNull();
      assertThat(r.getCacheHit()).isFalse();
      assertThat(r.getAttempts()).isEqualTo(1);
      assertThat(r.getUsage().getOutputImageTokens()).isEqualTo(747);
      assertThat(r.getProvider()).isEqualTo("ai-studio");
      OutputImage image = r.getImages().get(0);
      byte[] bytes = Files.readAllBytes(Path.of(URI.create(image.getUri())));
      assertThat(bytes.length).isEqualTo(image.getSizeBytes());
      var decoded = ImageIO.read(new ByteArrayInputStream(bytes));
      assertThat(decoded.getWidth()).isEqualTo(image.getWidth()).isEqualTo(512);
      assertThat(image.getMimeType()).isEqualTo("image/png");
    }
  }

  @Test
  void shouldPublishWebpWhenTheJobAsksForWebp() throws Exception {
    EditResult r = pipeline.results.get("webp-out");
    assertThat(r)
        .as("result for a WebP job (failure: %s)", pipeline.failures.get("webp-out"))
        .isNotNull();
    OutputImage image = r.getImages().get(0);
    assertThat(image.getMimeType()).isEqualTo("image/webp");
    byte[] bytes = Files.readAllBytes(Path.of(URI.create(image.getUri())));
    assertThat(bytes.length).isEqualTo(image.getSizeBytes());
    assertThat(new String(bytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RIFF");
    assertThat(new String(bytes, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("WEBP");
    var decoded = ImageIO.read(new ByteArrayInputStream(bytes));
    assertThat(decoded.getWidth()).isEqualTo(image.getWidth()).isEqualTo(512);
    assertThat(decoded.getHeight()).isEqualTo(image.getHeight());
  }

  @Test
  void shouldRunEveryStepOfAJobAsOneSignedConversation() {
    // The emulator refuses a Gemini 3 model turn sent back without its thought signatures, so
    // steps that all succeed show each earlier model turn went back with them.
    EditResult r = pipeline.results.get("steps");
    assertThat(r)
        .as("result for a job with two steps (failure: %s)", pipeline.failures.get("steps"))
        .isNotNull();
    assertThat(r.getAttempts()).isEqualTo(1);
    assertThat(r.getUsage().getOutputImageTokens()).isEqualTo(3 * 747);
  }

  @Test
  void shouldDrawTheImageAtAnAspectRatioAddedInGemini31FlashImage() throws Exception {
    EditResult r = pipeline.results.get("tall");
    assertThat(r)
        .as("result for a 1:4 job (failure: %s)", pipeline.failures.get("tall"))
        .isNotNull();
    OutputImage image = r.getImages().get(0);
    var decoded =
        ImageIO.read(
            new ByteArrayInputStream(Files.readAllBytes(Path.of(URI.create(image.getUri())))));
    assertThat(decoded.getHeight()).isEqualTo(image.getHeight()).isEqualTo(512);
    assertThat(decoded.getWidth()).isEqualTo(image.getWidth()).isEqualTo(512 / 4);
  }

  @Test
  void shouldReadInputsByReferenceBelowTheFileRoot() {
    EditResult r = pipeline.results.get("from-file");
    assertThat(r).as("result for a file: input").isNotNull();
    assertThat(r.getImages().get(0).getWidth()).isEqualTo(512);
  }

  @Test
  void shouldRetryRetryableFaultsAndGiveUpAfterTheLastAttempt() {
    assertThat(pipeline.results.get("retry").getAttempts()).isEqualTo(3);
    EditFailure down = pipeline.failures.get("down");
    assertThat(down.getCode()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(down.getRetryable()).isTrue();
    assertThat(down.getAttempts()).isEqualTo(5);
    assertThat(down.getHttpStatus()).isEqualTo(503);
    assertThat(down.getJob().getJobId()).isEqualTo("down");
  }

  @Test
  void shouldFailEachModelOutcomeWithItsCode() {
    assertThat(code("blocked")).isEqualTo(FailureCode.PROMPT_BLOCKED);
    assertThat(code("unsafe")).isEqualTo(FailureCode.IMAGE_SAFETY);
    assertThat(code("noimage")).isEqualTo(FailureCode.NO_IMAGE);
    assertThat(code("bad-request")).isEqualTo(FailureCode.MODEL_INVALID_ARGUMENT);
    for (String id : List.of("blocked", "unsafe", "noimage", "bad-request")) {
      assertThat(pipeline.failures.get(id).getRetryable()).as(id).isFalse();
      assertThat(pipeline.failures.get(id).getAttempts()).as(id).isEqualTo(1);
    }
  }

  @Test
  void shouldFailBadInputWithoutCallingTheModel() {
    assertThat(code("bad-bytes")).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(code("wrong-type")).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(code("too-many")).isEqualTo(FailureCode.TOO_MANY_IMAGES);
    assertThat(code("no-instruction")).isEqualTo(FailureCode.INSTRUCTION_MISSING);
    assertThat(code("escape")).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(code("metadata")).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(code("bomb")).isEqualTo(FailureCode.IMAGE_DIMENSIONS_TOO_LARGE);
    assertThat(code("oversized")).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(code("outside-root")).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(pipeline.failures.get("too-many").getMessage()).contains("images");
    assertThat(pipeline.failures.get("no-instruction").getMessage()).contains("instruction");
  }

  @Test
  void shouldSendPoisonPillsToTheDlqAndGoOn() {
    assertThat(pipeline.dlq).hasSize(2);
    assertThat(pipeline.dlq)
        .allSatisfy(
            r -> {
              assertThat(header(r, "editstream.dlq.topic")).isEqualTo(pipeline.jobsTopic);
              assertThat(header(r, "editstream.dlq.offset")).isNotNull();
              assertThat(header(r, "editstream.dlq.exception")).isNotBlank();
            });
    assertThat(new String(pipeline.dlq.get(0).value(), StandardCharsets.UTF_8).length())
        .isPositive();
  }

  @Test
  void shouldPublishExactlyOneOutcomePerJob() {
    assertThat(pipeline.outcomes()).isEqualTo(expected.size());
    assertThat(pipeline.duplicateOutcomes).isZero();
  }

  @Test
  void shouldServeHealthAndMetrics() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    var health =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + processor.httpPort() + "/health"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("RUNNING");
    var metrics =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body())
        .contains("editstream_jobs_outcome_total")
        .contains("editstream_model_in_flight")
        .doesNotContain("it-key-0123456789");
  }

  private FailureCode code(String jobId) {
    EditFailure f = pipeline.failures.get(jobId);
    assertThat(f).as("failure for %s (result: %s)", jobId, pipeline.results.get(jobId)).isNotNull();
    return f.getCode();
  }

  private static String header(
      org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** A PNG signature and IHDR chunk claiming the given size, with no pixel data. */
  static byte[] pngHeader(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    b.putInt(13);
    int typeAt = b.position();
    b.put("IHDR".getBytes(StandardCharsets.US_ASCII));
    b.putInt(width)
        .putInt(height)
        .put((byte) 8)
        .put((byte) 6)
        .put((byte) 0)
        .put((byte) 0)
        .put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(b.array(), typeAt, 17);
    b.putInt((int) crc.getValue());
    return b.array();
  }
}
