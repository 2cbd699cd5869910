package io.editstream.processor.dispatch;

import com.github.benmanes.caffeine.cache.Ticker;
import com.google.common.hash.Hashing;
import io.editstream.processor.blob.BlobStore;
import io.editstream.processor.blob.BlobStoreException;
import io.editstream.processor.blob.OutputImages;
import io.editstream.processor.cache.CacheLookup;
import io.editstream.processor.cache.CachedResult;
import io.editstream.processor.cache.ContentKey;
import io.editstream.processor.cache.ContentKeyInput;
import io.editstream.processor.cache.ResultCache;
import io.editstream.processor.cache.ResultIndex;
import io.editstream.processor.concurrent.AsyncFailure;
import io.editstream.processor.image.EncodedImage;
import io.editstream.processor.image.ImageEncoder;
import io.editstream.processor.image.ImageLoader;
import io.editstream.processor.image.ImageRejectedException;
import io.editstream.processor.image.LoadedImage;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelIds;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.topology.Dispatcher;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputImage;
import io.editstream.schema.TokenUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of a job, off the stream thread: load and check the images, compute the content key,
 * let the dedup cache either answer or coalesce identical calls, call the model, encode the image
 * the job asked for and store it. Every error becomes a {@link Dispatcher.Failed} value.
 */
public class ModelDispatcher implements Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(ModelDispatcher.class);

  private final ImageLoader loader;
  private final ImageEncoder encoder;
  private final ResultCache cache;
  private final ResultIndex index;
  private final ModelClient model;
  private final BlobStore blobs;
  private final Pricing pricing;
  private final int inlineMaxBytes;
  private final ModelIds models;
  private final boolean tenantIsolation;
  private final Executor cpu;
  private final Clock clock;
  private final StoredObjects stored;
  private final Counter staleEntries;
  private final Counter storeRetries;

  /** Price per million tokens, for the estimated cost on results. */
  public record Pricing(double inputPerMillion, double outputPerMillion) {
    Double cost(TokenUsage usage) {
      return usage.getPromptTokens() * inputPerMillion / 1e6
          + usage.getOutputTokens() * outputPerMillion / 1e6;
    }
  }

  /** A dispatcher whose own metrics are not published anywhere (for tests). */
  public ModelDispatcher(
      ImageLoader loader,
      ImageEncoder encoder,
      ResultCache cache,
      ResultIndex index,
      ModelClient model,
      BlobStore blobs,
      Pricing pricing,
      int inlineMaxBytes,
      ModelIds models,
      boolean tenantIsolation,
      Executor cpu,
      Clock clock) {
    this(
        loader,
        encoder,
        cache,
        index,
        model,
        blobs,
        pricing,
        inlineMaxBytes,
        models,
        tenantIsolation,
        cpu,
        clock,
        new SimpleMeterRegistry());
  }

  public ModelDispatcher(
      ImageLoader loader,
      ImageEncoder encoder,
      ResultCache cache,
      ResultIndex index,
      ModelClient model,
      BlobStore blobs,
      Pricing pricing,
      int inlineMaxBytes,
      ModelIds models,
      boolean tenantIsolation,
      Executor cpu,
      Clock clock,
      MeterRegistry meters) {
    this.loader = loader;
    this.encoder = encoder;
    this.cache = cache;
    this.index = index;
    this.model = model;
    this.blobs = blobs;
    this.pricing = pricing;
    this.inlineMaxBytes = inlineMaxBytes;
    this.models = models;
    this.tenantIsolation = tenantIsolation;
    this.cpu = cpu;
    this.clock = clock;
    this.stored = new StoredObjects(blobs, Ticker.systemTicker());
    this.staleEntries =
        Counter.builder("editstream.cache.stale")
            .description("Cache answers dropped because their image was gone from the blob store")
            .register(meters);
    this.storeRetries =
        Counter.builder("editstream.blob.store.retries")
            .description("Blob store writes tried again after a failure of the store")
            .register(meters);
  }

  /** How long a failing blob store is retried before an attempt gives up on it. */
  static final Duration STORE_RETRY_DEADLINE = Duration.ofMinutes(2);

  private static final long STORE_MAX_BACKOFF_MS = 5_000;

  /** The blob store kept failing until {@link #STORE_RETRY_DEADLINE}. */
  private static final class StoreFailed extends RuntimeException {
    final int tries;

    StoreFailed(BlobStoreException cause, int tries) {
      super(cause.getMessage(), cause, false, false);
      this.tries = tries;
    }
  }

  /** Raised inside the cache's future so that failures are never cached. */
  private static final class ModelFailed extends RuntimeException {
    final Outcome.Failure failure;

    ModelFailed(Outcome.Failure failure) {
      super(failure.code() + ": " + failure.message(), null, false, false);
      this.failure = failure;
    }
  }

  @Override
  public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber) {
    return attempt(job, attemptNumber, null);
  }

  @Override
  public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber, String provider) {
    return attempt(job, attemptNumber, provider, () -> {});
  }

  @Override
  public CompletableFuture<Attempt> attempt(
      EditJob job, int attemptNumber, String provider, Runnable calling) {
    return attempt(
        job,
        provider,
        job.getBypassCache(),
        request ->
            model.generate(
                request,
                () -> {
                  try {
                    calling.run();
                  } catch (RuntimeException e) {
                    // Only the quota's bookkeeping: the call goes ahead, counted from its grant.
                    log.warn(
                        "Could not note when the call of job {} left: {}",
                        job.getJobId(),
                        e.toString());
                  }
                }));
  }

  @Override
  public CompletableFuture<Prepared> prepare(EditJob job) {
    CompletableFuture<List<LoadedImage>> images;
    try {
      images = loader.loadAll(job.getImages());
    } catch (RuntimeException e) {
      images = CompletableFuture.failedFuture(e);
    }
    return images
        .thenApply(loaded -> new Prepared(request(job, loaded, null), null))
        .exceptionally(error -> new Prepared(null, (Failed) failed(error, 0)));
  }

  /**
   * The answer was paid for: it replaces any cache entry (bypass) rather than being dropped for an
   * older one, and its image is stored like an online answer's.
   */
  @Override
  public CompletableFuture<Attempt> answered(EditJob job, Outcome outcome) {
    return attempt(job, null, true, request -> CompletableFuture.completedFuture(outcome))
        .thenApply(
            a ->
                a instanceof Failed f && f.modelCalls() == 0
                    ? new Failed(f.failure(), 1) // the batch made the call
                    : a);
  }

  private CompletableFuture<Attempt> attempt(
      EditJob job,
      String provider,
      boolean bypass,
      Function<ModelRequest, CompletableFuture<Outcome>> generate) {
    // Set when this attempt calls the model, not when the cache answers it or lets it wait for
    // an identical call: a job's attempts are the calls made for it.
    AtomicBoolean called = new AtomicBoolean();
    CompletableFuture<List<LoadedImage>> images;
    try {
      images = loader.loadAll(job.getImages());
    } catch (RuntimeException e) {
      images = CompletableFuture.failedFuture(e);
    }
    return images
        .thenCompose(
            loaded -> {
              ContentKey key = keyOf(job, loaded.stream().map(LoadedImage::sha256).toList());
              AtomicReference<Outcome.Success> mine = new AtomicReference<>();
              Supplier<CompletableFuture<CachedResult>> call =
                  () -> {
                    called.set(true);
                    return call(job, loaded, key, mine, provider, generate);
                  };
              return cache
                  .getOrCompute(key, bypass, call)
                  .thenCompose(lookup -> stillStored(key, lookup, call))
                  .thenApply(lookup -> (Attempt) produced(job, key, lookup, mine.get()));
            })
        .exceptionally(error -> failed(error, called.get() ? 1 : 0));
  }

  /**
   * A cache answer whose images are gone from the blob store (deleted, expired, or on another
   * host's disk) is a miss: the entry is dropped and the model called again, so no result ever
   * carries a dead URI. The lookup runs on the CPU pool, never on the stream thread.
   */
  private CompletableFuture<CacheLookup> stillStored(
      ContentKey key, CacheLookup lookup, Supplier<CompletableFuture<CachedResult>> call) {
    if (!lookup.servedFromCache() || stored.knownToExist(lookup.result().images())) {
      return CompletableFuture.completedFuture(lookup);
    }
    return CompletableFuture.supplyAsync(() -> stored.allExist(lookup.result().images()), cpu)
        .thenCompose(
            present -> {
              if (present) {
                return CompletableFuture.completedFuture(lookup);
              }
              log.info(
                  "Cache entry {} names an image that is no longer in the blob store ({});"
                      + " calling the model again",
                  key,
                  lookup.result().images().get(0).getUri());
              staleEntries.increment();
              cache.invalidate(key);
              return cache.getOrCompute(key, true, call);
            });
  }

  private CompletableFuture<CachedResult> call(
      EditJob job,
      List<LoadedImage> loaded,
      ContentKey key,
      AtomicReference<Outcome.Success> mine,
      String route,
      Function<ModelRequest, CompletableFuture<Outcome>> generate) {
    ModelRequest request = request(job, loaded, route);
    return generate
        .apply(request)
        .thenComposeAsync(
            outcome -> {
              if (outcome instanceof Outcome.Failure f) {
                throw new ModelFailed(f);
              }
              Outcome.Success s = (Outcome.Success) outcome;
              mine.set(s);
              // One finished image per job: the model's first.
              Outcome.GeneratedImage g = s.images().get(0);
              EncodedImage encoded = encoder.encode(g.bytes(), job.getOutput().getFormat());
              return publish(encoded, clock.millis() + STORE_RETRY_DEADLINE.toMillis(), 0)
                  .thenApply(
                      image -> {
                        CachedResult result =
                            new CachedResult(
                                List.of(image),
                                s.text(),
                                request.model(),
                                s.modelVersion(),
                                usage(s.usage()),
                                clock.instant());
                        if (index != null) {
                          index
                              .publish(key, result)
                              .exceptionally(
                                  e -> {
                                    log.warn(
                                        "Could not publish cache entry {} to L2: {}",
                                        key,
                                        e.toString());
                                    return null;
                                  });
                        }
                        return result;
                      });
            },
            cpu);
  }

  private ModelRequest request(EditJob job, List<LoadedImage> loaded, String route) {
    return new ModelRequest(
        models.forJob(job),
        loaded.stream()
            .map(i -> new ModelRequest.InputPart(i.bytes(), i.type().mimeType()))
            .toList(),
        job.getInstruction(),
        job.getSteps().stream().map(EditStep::getInstruction).toList(),
        job.getOutput().getSize(),
        job.getOutput().getAspectRatio(),
        job.getAttributes().get(ModelRequest.PROVIDER_ATTRIBUTE),
        route);
  }

  /**
   * Stores a finished image, retrying a failing blob store with backoff until {@code deadlineMs}:
   * the model call is paid for, so an outage of the store (S3 down for a minute) is waited out
   * rather than thrown away with the image. Past the deadline the attempt fails retryable with
   * {@code STORE_UNAVAILABLE}.
   */
  private CompletableFuture<OutputImage> publish(EncodedImage encoded, long deadlineMs, int tries) {
    try {
      OutputImage image = OutputImages.publish(blobs, encoded, inlineMaxBytes);
      stored.stored(image.getUri());
      return CompletableFuture.completedFuture(image);
    } catch (BlobStoreException e) {
      long backoffMs = Math.min(STORE_MAX_BACKOFF_MS, 250L << Math.min(tries, 10));
      if (clock.millis() + backoffMs > deadlineMs) {
        throw new StoreFailed(e, tries + 1);
      }
      storeRetries.increment();
      log.warn(
          "Blob store failed ({}: {}); trying again in {} ms (try {})",
          e.reason(),
          e.getMessage(),
          backoffMs,
          tries + 1);
      return CompletableFuture.supplyAsync(
              () -> null, CompletableFuture.delayedExecutor(backoffMs, TimeUnit.MILLISECONDS, cpu))
          .thenCompose(ignored -> publish(encoded, deadlineMs, tries + 1));
    }
  }

  private Produced produced(EditJob job, ContentKey key, CacheLookup lookup, Outcome.Success mine) {
    CachedResult r = lookup.result();
    boolean fromCache = lookup.servedFromCache() || mine == null;
    List<OutputImage> images = OutputImages.withPresignedUrls(blobs, r.images());
    TokenUsage usage = fromCache ? new TokenUsage(0, 0, 0, 0) : r.usage();
    return new Produced(
        images,
        r.text(),
        r.model(),
        r.modelVersion(),
        usage,
        fromCache ? Duration.ZERO : mine.modelTime(),
        fromCache,
        key.hex(),
        fromCache ? null : mine.provider(),
        fromCache ? 0.0 : mine.costUsd() != null ? mine.costUsd() : pricing.cost(usage));
  }

  private Attempt failed(Throwable error, int modelCalls) {
    Throwable e = AsyncFailure.unwrap(error);
    if (e instanceof ModelFailed m) {
      return new Failed(m.failure, modelCalls);
    }
    if (e instanceof ImageRejectedException r) {
      Outcome.Failure f =
          new Outcome.Failure(
              r.code(), r.retryable(), null, null, r.getMessage(), null, Duration.ZERO);
      return new Failed(f, modelCalls);
    }
    if (e instanceof StoreFailed f) {
      return new Failed(
          Outcome.Failure.retryable(
              FailureCode.STORE_UNAVAILABLE,
              null,
              "the blob store for finished images failed "
                  + f.tries
                  + " times over "
                  + STORE_RETRY_DEADLINE.toSeconds()
                  + " s ("
                  + f.getCause().getMessage()
                  + "); check blob.store and blob.s3.* and that the store is reachable",
              null),
          modelCalls);
    }
    if (e instanceof BlobStoreException b) {
      return new Failed(
          Outcome.Failure.retryable(
              FailureCode.STORE_UNAVAILABLE,
              null,
              "the blob store for finished images cannot answer (" + b.getMessage() + ")",
              null),
          modelCalls);
    }
    if (e instanceof IllegalArgumentException bad) {
      return new Failed(
          Outcome.Failure.permanent(FailureCode.INVALID_JOB, null, null, bad.getMessage()),
          modelCalls);
    }
    if (e instanceof RejectedExecutionException) {
      // The processor is stopping and its executors take no more work: the job stays pending in
      // its task and whoever owns the task next calls it again. Not an error of this job.
      log.debug("A job attempt ended because the processor is stopping", e);
      return new Failed(
          Outcome.Failure.retryable(
              FailureCode.INTERNAL, null, "the processor stopped during the attempt", null),
          modelCalls);
    }
    log.error("Unexpected error in a job attempt", e);
    return new Failed(
        Outcome.Failure.retryable(
            FailureCode.INTERNAL, null, "internal error: " + e.getClass().getSimpleName(), null),
        modelCalls);
  }

  /**
   * The stream thread's fast path: when every image's digest is known without I/O (inline bytes, or
   * a URI with a declared sha256 while tenant isolation is on), a cached result answers at once.
   */
  @Override
  public Optional<Produced> cached(EditJob job) {
    List<String> digests = new ArrayList<>(job.getImages().size());
    for (InputImage image : job.getImages()) {
      if (image.getData() != null) {
        digests.add(Hashing.sha256().hashBytes(image.getData().duplicate()).toString());
      } else if (tenantIsolation && image.getSha256() != null && image.getSha256().length() == 64) {
        // A declared digest is only a claim: trusted for a hit within the tenant's own entries.
        // Without isolation it would hand out another tenant's result to anyone who knows the
        // digest, without ever fetching the image, so the attempt loads and checks it instead.
        digests.add(image.getSha256().toLowerCase(java.util.Locale.ROOT));
      } else {
        return Optional.empty();
      }
    }
    ContentKey key;
    try {
      key = keyOf(job, digests);
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // validation of the full attempt reports it
    }
    return cache
        .peek(key)
        // Only images seen in the store lately: anything else is looked up off this thread.
        .filter(r -> stored.knownToExist(r.images()))
        .map(
            r ->
                new Produced(
                    OutputImages.withPresignedUrls(blobs, r.images()),
                    r.text(),
                    r.model(),
                    r.modelVersion(),
                    new TokenUsage(0, 0, 0, 0),
                    Duration.ZERO,
                    true,
                    key.hex(),
                    null,
                    0.0));
  }

  private ContentKey keyOf(EditJob job, List<String> digests) {
    return ContentKey.of(ContentKeyInput.from(job, digests, models.forJob(job), tenantIsolation));
  }

  private static TokenUsage usage(Outcome.Usage u) {
    return new TokenUsage(
        u.promptTokens(), u.outputTokens(), u.outputImageTokens(), u.totalTokens());
  }

  @Override
  public void close() {
    if (index != null) {
      index.close();
    }
  }
}
