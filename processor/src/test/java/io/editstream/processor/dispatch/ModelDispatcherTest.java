package io.editstream.processor.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.blob.BlobRef;
import io.editstream.processor.blob.BlobStore;
import io.editstream.processor.blob.BlobStoreException;
import io.editstream.processor.blob.LocalBlobStore;
import io.editstream.processor.cache.ResultCache;
import io.editstream.processor.image.FetchPolicy;
import io.editstream.processor.image.ImageEncoder;
import io.editstream.processor.image.ImageLimits;
import io.editstream.processor.image.ImageLoader;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelIds;
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
import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
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
    return dispatcher(
        ResultCache.builder().executor(Runnable::run).build(),
        new LocalBlobStore(blobs),
        tenantIsolation,
        CLOCK,
        new SimpleMeterRegistry());
  }

  /** A dispatcher over a given cache and store: two of them over one cache are two instances. */
  private ModelDispatcher dispatcher(
      ResultCache cache,
      BlobStore store,
      boolean tenantIsolation,
      Clock clock,
      SimpleMeterRegistry meters) {
    return new ModelDispatcher(
        new ImageLoader(ImageLimits.defaults(), FetchPolicy.defaults(), Runnable::run),
        new ImageEncoder(ImageLimits.defaults()),
        cache,
        null,
        model,
        store,
        new ModelDispatcher.Pricing(0.5, 60.0),
        0,
        ModelIds.of("gemini-3.1-flash-image-preview"),
        tenantIsolation,
        Runnable::run,
        clock,
        meters);
  }

  @Test
  void shouldTreatACachedResultWhoseImageIsGoneAsAMiss() throws Exception {
    next = success();
    ResultCache cache = ResultCache.builder().executor(Runnable::run).build();
    LocalBlobStore store = new LocalBlobStore(blobs);
    byte[] image = png(5);
    Dispatcher.Produced first =
        (Dispatcher.Produced)
            dispatcher(cache, store, true, CLOCK, new SimpleMeterRegistry())
                .attempt(job("a", "acme", inline(image)), 1)
                .get(5, TimeUnit.SECONDS);
    URI uri = URI.create(first.images().get(0).getUri());

    // Another instance sharing the entry (through the cache index) has never seen the object: it
    // looks it up before answering, off the stream thread.
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelDispatcher other = dispatcher(cache, store, true, CLOCK, meters);
    assertThat(other.cached(job("b", "acme", inline(image))))
        .as("no I/O on the fast path")
        .isEmpty();
    Dispatcher.Produced hit =
        (Dispatcher.Produced)
            other.attempt(job("b", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);
    assertThat(hit.cacheHit()).isTrue();
    assertThat(calls).hasValue(1);

    // The object is deleted (a lifecycle rule, an operator): the entry is a miss, not a dead URI.
    Files.delete(Path.of(uri));
    ModelDispatcher third = dispatcher(cache, store, true, CLOCK, meters);
    Dispatcher.Attempt again =
        third.attempt(job("c", "acme", inline(image)), 1).get(5, TimeUnit.SECONDS);

    assertThat(again).isInstanceOf(Dispatcher.Produced.class);
    assertThat(((Dispatcher.Produced) again).cacheHit()).isFalse();
    assertThat(again.modelCalls()).isEqualTo(1);
    assertThat(calls).hasValue(2);
    assertThat(store.exists(uri)).as("stored again").isTrue();
    assertThat(meters.counter("editstream.cache.stale").count()).isEqualTo(1.0);
  }

  @Test
  void shouldWaitOutAFailingStoreWithoutCallingTheModelAgain() throws Exception {
    next = success();
    FlakyStore store = new FlakyStore(new LocalBlobStore(blobs), 2, null);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ModelDispatcher d =
        dispatcher(
            ResultCache.builder().executor(Runnable::run).build(), store, true, CLOCK, meters);

    Dispatcher.Attempt attempt =
        d.attempt(job("a", "acme", inline(png(6))), 1).get(10, TimeUnit.SECONDS);

    assertThat(attempt).isInstanceOf(Dispatcher.Produced.class);
    assertThat(calls).as("the paid image was kept, not generated again").hasValue(1);
    assertThat(store.puts).hasValue(3);
    assertThat(meters.counter("editstream.blob.store.retries").count()).isEqualTo(2.0);
  }

  @Test
  void shouldFailRetryableWithStoreUnavailableWhenTheStoreStaysDown() throws Exception {
    next = success();
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    // Every failing put takes a minute of (fake) time: the deadline passes after a few tries.
    FlakyStore store = new FlakyStore(new LocalBlobStore(blobs), Integer.MAX_VALUE, clock);
    ModelDispatcher d =
        dispatcher(
            ResultCache.builder().executor(Runnable::run).build(),
            store,
            true,
            clock,
            new SimpleMeterRegistry());

    Dispatcher.Attempt attempt =
        d.attempt(job("a", "acme", inline(png(7))), 1).get(10, TimeUnit.SECONDS);

    assertThat(attempt).isInstanceOf(Dispatcher.Failed.class);
    Outcome.Failure failure = ((Dispatcher.Failed) attempt).failure();
    assertThat(failure.code()).isEqualTo(FailureCode.STORE_UNAVAILABLE);
    assertThat(failure.retryable()).isTrue();
    assertThat(failure.message()).contains("blob.s3");
    assertThat(attempt.modelCalls()).isEqualTo(1);
    assertThat(store.puts.get()).isBetween(2, 3);
  }

  /** A store that fails its first {@code failures} writes as an unreachable S3 would. */
  private static final class FlakyStore implements BlobStore {
    final BlobStore delegate;
    final int failures;
    final MutableClock clock;
    final AtomicInteger puts = new AtomicInteger();

    FlakyStore(BlobStore delegate, int failures, MutableClock clock) {
      this.delegate = delegate;
      this.failures = failures;
      this.clock = clock;
    }

    @Override
    public BlobRef put(byte[] bytes, String mimeType) {
      if (puts.incrementAndGet() <= failures) {
        if (clock != null) {
          clock.advance(Duration.ofMinutes(1));
        }
        throw new BlobStoreException(
            BlobStoreException.Reason.UNAVAILABLE, "connection refused", null);
      }
      return delegate.put(bytes, mimeType);
    }

    @Override
    public byte[] get(URI uri) {
      return delegate.get(uri);
    }

    @Override
    public boolean exists(URI uri) {
      return delegate.exists(uri);
    }
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

  /**
   * The quota log counts a call from when it leaves (issue 17): the hook runs just before the model
   * is called, once per call, and not for an attempt the cache answers or an image rejected.
   */
  @Test
  void shouldNoteWhenTheCallLeavesOnlyForACallThatIsMade() throws Exception {
    next = success();
    ModelDispatcher d = dispatcher(true);
    byte[] image = png(5);
    List<Integer> callsWhenNoted = new java.util.ArrayList<>();
    Runnable noted = () -> callsWhenNoted.add(calls.get());

    d.attempt(job("a", "acme", inline(image)), 1, null, noted).get(5, TimeUnit.SECONDS);
    d.attempt(job("b", "acme", inline(image)), 1, null, noted).get(5, TimeUnit.SECONDS);
    byte[] truncated = java.util.Arrays.copyOf(png(6), 40);
    d.attempt(job("c", "acme", inline(truncated)), 1, null, noted).get(5, TimeUnit.SECONDS);

    assertThat(calls).hasValue(1);
    assertThat(callsWhenNoted).as("noted once, before the model was called").containsExactly(0);
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

  @Test
  void shouldPrepareABatchRequestAndTakeItsAnswerLikeAnOnlineCallsWithoutCallingTheModel()
      throws Exception {
    ModelDispatcher dispatcher = dispatcher(false);
    byte[] image = png(7);
    EditJob job = job("a", "acme", inline(image));

    Dispatcher.Prepared prepared = dispatcher.prepare(job).get(5, TimeUnit.SECONDS);
    assertThat(prepared.failed()).isNull();
    assertThat(prepared.request().model()).isEqualTo("gemini-3.1-flash-image-preview");
    assertThat(prepared.request().images()).hasSize(1);

    Dispatcher.Attempt answered = dispatcher.answered(job, success()).get(5, TimeUnit.SECONDS);

    assertThat(calls).as("the batch made the call, not the dispatcher").hasValue(0);
    assertThat(answered).isInstanceOf(Dispatcher.Produced.class);
    Dispatcher.Produced p = (Dispatcher.Produced) answered;
    assertThat(p.cacheHit()).isFalse();
    assertThat(p.modelCalls()).isEqualTo(1);
    assertThat(Files.exists(Path.of(URI.create(p.images().get(0).getUri()))))
        .as("the finished image is in the blob store")
        .isTrue();
    assertThat(dispatcher.cached(job("b", "acme", inline(image))))
        .as("an identical job is answered from the cache the batch answer filled")
        .isPresent();

    Dispatcher.Attempt failed =
        dispatcher
            .answered(
                job("c", "acme", inline(png(8))),
                Outcome.Failure.permanent(FailureCode.IMAGE_SAFETY, 200, "IMAGE_SAFETY", "no"))
            .get(5, TimeUnit.SECONDS);
    assertThat(failed).isInstanceOf(Dispatcher.Failed.class);
    assertThat(failed.modelCalls()).isEqualTo(1);
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
