package io.editstream.processor.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.blob.LocalBlobStore;
import io.editstream.processor.cache.ResultCache;
import io.editstream.processor.image.FetchPolicy;
import io.editstream.processor.image.ImageEncoder;
import io.editstream.processor.image.ImageLimits;
import io.editstream.processor.image.ImageLoader;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.topology.Dispatcher;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dispatcher's use of the dedup cache, with a counting model and no I/O beyond a temp dir. */
class ModelDispatcherTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @TempDir Path blobs;
  private final AtomicInteger calls = new AtomicInteger();
  private Outcome next;

  private final ModelClient model =
      new ModelClient() {
        @Override
        public CompletableFuture<Outcome> generate(ModelRequest request) {
          calls.incrementAndGet();
          return CompletableFuture.completedFuture(next);
        }

        @Override
        public String provider() {
          return "fake";
        }

        @Override
        public void close() {}
      };

  private ModelDispatcher dispatcher(boolean tenantIsolation) {
    return new ModelDispatcher(
        new ImageLoader(ImageLimits.defaults(), FetchPolicy.defaults(), Runnable::run),
        new ImageEncoder(ImageLimits.defaults()),
        ResultCache.builder().executor(Runnable::run).build(),
        null,
        model,
        new LocalBlobStore(blobs),
        new ModelDispatcher.Pricing(0.5, 60.0),
        262_144,
        "gemini-3.1-flash-image-preview",
        tenantIsolation,
        Runnable::run,
        CLOCK);
  }

  @Test
  void shouldCallOnceAndAnswerTheRepeatOnTheFastPath() throws Exception {
    next = success();
    ModelDispatcher d = dispatcher(true);
    byte[] image = png(1);

    Dispatcher.Attempt first =
        d.attempt(job("a", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);
    var repeat = d.cached(job("b", "acme", inline(image)));

    assertThat(first).isInstanceOf(Dispatcher.Produced.class);
    assertThat(((Dispatcher.Produced) first).cacheHit()).isFalse();
    assertThat(repeat).isPresent();
    assertThat(repeat.get().cacheHit()).isTrue();
    assertThat(repeat.get().contentKey()).isEqualTo(((Dispatcher.Produced) first).contentKey());
    assertThat(repeat.get().usage().getTotalTokens()).isZero();
    assertThat(calls).hasValue(1);
  }

  @Test
  void shouldTrustADeclaredDigestOnlyWithinATenant() throws Exception {
    next = success();
    byte[] image = png(2);
    InputImage claim =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setUri("file:///nowhere/never-fetched.png")
            .setSha256(sha256(image))
            .build();

    ModelDispatcher isolated = dispatcher(true);
    isolated.attempt(job("a", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);
    assertThat(isolated.cached(job("b", "acme", claim))).as("same tenant").isPresent();
    assertThat(isolated.cached(job("c", "globex", claim))).as("other tenant").isEmpty();

    // Shared across tenants: a digest alone must not unlock another tenant's result.
    ModelDispatcher shared = dispatcher(false);
    shared.attempt(job("a", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);
    assertThat(shared.cached(job("d", "globex", inline(image)))).as("same bytes").isPresent();
    assertThat(shared.cached(job("e", "globex", claim))).as("declared digest only").isEmpty();
  }

  @Test
  void shouldNotCacheAFailure() throws Exception {
    ModelDispatcher d = dispatcher(true);
    byte[] image = png(3);
    next = Outcome.Failure.retryable(FailureCode.MODEL_UNAVAILABLE, 503, "down", null);

    Dispatcher.Attempt failed =
        d.attempt(job("a", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);
    assertThat(failed).isInstanceOf(Dispatcher.Failed.class);
    assertThat(d.cached(job("b", "acme", inline(image)))).isEmpty();

    next = success();
    Dispatcher.Attempt retried =
        d.attempt(job("a", "acme", inline(image)), 2).get(5, TimeUnit.SECONDS);
    assertThat(retried).isInstanceOf(Dispatcher.Produced.class);
    assertThat(calls).hasValue(2);
  }

  @Test
  void shouldRejectATruncatedImageWithoutCallingTheModel() throws Exception {
    next = success();
    byte[] whole = png(4);
    byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 20);

    Dispatcher.Attempt attempt =
        dispatcher(true).attempt(job("a", "acme", inline(truncated)), 1).get(5, TimeUnit.SECONDS);

    assertThat(attempt).isInstanceOf(Dispatcher.Failed.class);
    Outcome.Failure failure = ((Dispatcher.Failed) attempt).failure();
    assertThat(failure.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(failure.message()).startsWith("images[0].data: the bytes are not a complete");
    assertThat(calls).hasValue(0);
  }

  private static Outcome success() throws Exception {
    return new Outcome.Success(
        List.of(new Outcome.GeneratedImage(png(99), "image/png")),
        null,
        "v1",
        new Outcome.Usage(300, 747, 747, 1047),
        Duration.ofMillis(10),
        "fake");
  }

  private static InputImage inline(byte[] image) {
    return InputImage.newBuilder().setMimeType("image/png").setData(ByteBuffer.wrap(image)).build();
  }

  private static EditJob job(String id, String tenant, InputImage image) {
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant(tenant)
        .setSku("SKU-" + id)
        .setImages(List.of(image))
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

  private static byte[] png(int seed) {
    try {
      BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
      image.setRGB(seed % 16, 0, 0xFFFFFF);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
