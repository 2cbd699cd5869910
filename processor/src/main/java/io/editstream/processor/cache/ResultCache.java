package io.editstream.processor.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.editstream.processor.concurrent.AsyncFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineStatsCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * L1 dedup cache: successful results by {@link ContentKey}, with concurrent identical requests
 * sharing one in-flight call.
 *
 * <p>What callers may rely on:
 *
 * <ul>
 *   <li>For one key, at most one non-bypass call is in flight at a time; every caller that arrives
 *       meanwhile gets that call's outcome ({@link CacheLookup.Source#COALESCED}).
 *   <li>Only successes are cached. A call whose future fails (or returns null) is forgotten: its
 *       waiters see the same failure, and the next request calls again. Model failures must
 *       therefore complete the future exceptionally.
 *   <li>Bypass ({@code bypass = true}) never answers from the entry: it makes a fresh call and, on
 *       success, replaces the entry. Concurrent bypass requests for one key share one fresh call
 *       (it started after each of them asked). Non-bypass requests meanwhile are answered from the
 *       old entry, or, when there is none, share the bypass call. A failed bypass keeps the old
 *       entry.
 *   <li>Entries expire a fixed time after they were written and are evicted when the total weight
 *       ({@link CachedResult#weightBytes()}) exceeds the bound. Inline image data above the
 *       configured size is not kept in the cache (the image's uri is).
 *   <li>Metrics (tag {@code cache=<name>}): {@code cache.gets{result=hit|miss}} where misses count
 *       calls started through the cache (bypass included) and hits count requests served without a
 *       call (coalesced included); {@code cache.coalesced}; {@code cache.evictions}; {@code
 *       cache.size}; {@code cache.weight} (bytes); Caffeine's {@code
 *       cache.loads{result=success|failure}} (successes include every stored entry, {@link #put}
 *       too).
 * </ul>
 *
 * <p>Thread-safe. Calls are started on the requesting thread (the supplier should only start
 * asynchronous work and return its future).
 */
public final class ResultCache {

  private final AsyncCache<ContentKey, CachedResult> cache;
  private final ConcurrentMap<ContentKey, CompletableFuture<CachedResult>> refreshes =
      new ConcurrentHashMap<>();
  private final CaffeineStatsCounter stats;
  private final Counter coalesced;
  private final int maxInlineBytes;
  private final Duration expireAfterWrite;

  private ResultCache(Builder b) {
    this.maxInlineBytes = b.maxInlineBytes;
    this.expireAfterWrite = b.expireAfterWrite;
    this.stats = new CaffeineStatsCounter(b.registry, b.name);
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(b.maximumWeightBytes)
            .weigher(
                (ContentKey k, CachedResult v) ->
                    (int) Math.min(Integer.MAX_VALUE, v.weightBytes() + 2L * k.hex().length()))
            .expireAfterWrite(b.expireAfterWrite)
            .ticker(b.ticker)
            .executor(b.executor)
            .recordStats(() -> stats)
            .buildAsync();
    stats.registerSizeMetric(cache.synchronous());
    this.coalesced =
        Counter.builder("cache.coalesced")
            .tag("cache", b.name)
            .description("Requests that shared another request's in-flight call")
            .register(b.registry);
    Gauge.builder("cache.weight", this, ResultCache::weightBytes)
        .tag("cache", b.name)
        .baseUnit("bytes")
        .description("Approximate bytes held by the cache's entries")
        .register(b.registry);
  }

  /** A builder with the defaults: 256 MiB, 24 h, 256 KiB inline, system ticker, common pool. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The result for {@code key}: from the cache, from an identical call in flight, or from {@code
   * call}, which is invoked (on this thread) only when neither exists or when {@code bypass} is
   * true. The returned future fails when the shared call fails.
   */
  public CompletableFuture<CacheLookup> getOrCompute(
      ContentKey key, boolean bypass, Supplier<CompletableFuture<CachedResult>> call) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(call, "call");
    return bypass ? refresh(key, call) : lookup(key, call);
  }

  private CompletableFuture<CacheLookup> lookup(
      ContentKey key, Supplier<CompletableFuture<CachedResult>> call) {
    while (true) {
      CompletableFuture<CachedResult> placeholder = new CompletableFuture<>();
      boolean[] owner = {false};
      CompletableFuture<CachedResult> entry =
          cache.get(
              key,
              (k, executor) -> {
                // No entry but a bypass call in flight: share it rather than call twice.
                CompletableFuture<CachedResult> refreshing = refreshes.get(k);
                if (refreshing != null) {
                  return refreshing;
                }
                owner[0] = true;
                return placeholder;
              });
      if (owner[0]) {
        CompletableFuture<CachedResult> called = start(call);
        called.whenComplete((r, e) -> settle(placeholder, r, e));
        return called.thenApply(r -> new CacheLookup(r, CacheLookup.Source.CALLED));
      }
      if (entry.isCompletedExceptionally()) {
        // Caffeine drops failed futures in a completion callback that may not have run yet.
        cache.asMap().remove(key, entry);
        continue;
      }
      if (entry.isDone()) {
        return entry.thenApply(r -> new CacheLookup(r, CacheLookup.Source.HIT));
      }
      coalesced.increment();
      return shared(entry);
    }
  }

  private static CompletableFuture<CacheLookup> shared(CompletableFuture<CachedResult> call) {
    return call.handle(
        (r, e) -> {
          if (e != null) {
            throw new CompletionException(AsyncFailure.unwrap(e));
          }
          return new CacheLookup(r, CacheLookup.Source.COALESCED);
        });
  }

  private CompletableFuture<CacheLookup> refresh(
      ContentKey key, Supplier<CompletableFuture<CachedResult>> call) {
    CompletableFuture<CachedResult> placeholder = new CompletableFuture<>();
    CompletableFuture<CachedResult> inFlight = refreshes.putIfAbsent(key, placeholder);
    if (inFlight != null) {
      stats.recordHits(1);
      coalesced.increment();
      return shared(inFlight);
    }
    stats.recordMisses(1);
    CompletableFuture<CachedResult> called = start(call);
    called.whenComplete(
        (r, e) -> {
          // Entry first, then release the refresh slot, then wake waiters: anyone who asks after
          // the waiters wake sees the new entry.
          if (e == null) {
            CachedResult kept = r.withInlineDataAtMost(maxInlineBytes);
            cache.put(key, CompletableFuture.completedFuture(kept));
            refreshes.remove(key, placeholder);
            placeholder.complete(kept);
          } else {
            refreshes.remove(key, placeholder);
            placeholder.completeExceptionally(new SharedCallFailed(e));
          }
        });
    return called.thenApply(r -> new CacheLookup(r, CacheLookup.Source.CALLED));
  }

  private static CompletableFuture<CachedResult> start(
      Supplier<CompletableFuture<CachedResult>> call) {
    try {
      CompletableFuture<CachedResult> f = call.get();
      return f != null
          ? f.thenApply(r -> Objects.requireNonNull(r, "the call completed with a null result"))
          : CompletableFuture.failedFuture(new NullPointerException("the call returned no future"));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void settle(CompletableFuture<CachedResult> shared, CachedResult r, Throwable e) {
    if (e != null) {
      shared.completeExceptionally(new SharedCallFailed(e));
    } else {
      shared.complete(r.withInlineDataAtMost(maxInlineBytes));
    }
  }

  /**
   * The completed entry for {@code key}, without waiting and without starting a call: the stream
   * thread's fast path. A present answer counts as a hit; an absent one counts nothing (the caller
   * is expected to continue with {@link #getOrCompute}, which counts).
   */
  public Optional<CachedResult> peek(ContentKey key) {
    // The synchronous view's map skips in-flight and failed futures and records no stats itself.
    CachedResult r = cache.synchronous().asMap().get(Objects.requireNonNull(key, "key"));
    if (r != null) {
      stats.recordHits(1);
    }
    return Optional.ofNullable(r);
  }

  /** Stores a result known from elsewhere (e.g. the shared L2 topic), replacing any entry. */
  public void put(ContentKey key, CachedResult result) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(result, "result");
    cache.put(key, CompletableFuture.completedFuture(result.withInlineDataAtMost(maxInlineBytes)));
  }

  /**
   * Stores a result read from the shared L2 topic, unless the entry already holds that very result
   * (same creation time to the millisecond and the same images): an instance reads its own
   * publications back, and replacing its entry with the reference-only copy would drop the inline
   * image data its hits carry and restart the entry's TTL.
   *
   * @return true if the entry was stored
   */
  public boolean putFromIndex(ContentKey key, CachedResult result) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(result, "result");
    CachedResult current = cache.synchronous().asMap().get(key);
    if (current != null && current.sameResultAs(result)) {
      return false;
    }
    put(key, result);
    return true;
  }

  /** Drops the entry for {@code key}, if any. Calls in flight still complete for their waiters. */
  public void invalidate(ContentKey key) {
    cache.synchronous().invalidate(Objects.requireNonNull(key, "key"));
  }

  /** Runs pending maintenance (evictions, expirations) now; mostly for tests. */
  public void cleanUp() {
    cache.synchronous().cleanUp();
  }

  /** How long an entry lives after it was written. */
  public Duration expireAfterWrite() {
    return expireAfterWrite;
  }

  /** Approximate bytes held by the entries. */
  public long weightBytes() {
    return cache.synchronous().policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
  }

  /**
   * How a failed call reaches the futures other callers share. Caffeine drops any failed future
   * from the cache, but logs a WARNING with a stack trace for each, except for cancellations: model
   * failures are expected and reported by the processor, so they travel as a cancellation and are
   * unwrapped for the waiters ({@link AsyncFailure#unwrap} takes a cancellation's cause out).
   */
  private static final class SharedCallFailed extends CancellationException {
    SharedCallFailed(Throwable cause) {
      super("shared call failed");
      initCause(AsyncFailure.unwrap(cause));
    }
  }

  /** Builds a {@link ResultCache}; validates each setting as it is given. */
  public static final class Builder {
    private long maximumWeightBytes = 256L * 1024 * 1024;
    private Duration expireAfterWrite = Duration.ofHours(24);
    private int maxInlineBytes = 256 * 1024;
    private Ticker ticker = Ticker.systemTicker();
    private Executor executor = ForkJoinPool.commonPool();
    private MeterRegistry registry = new SimpleMeterRegistry();
    private String name = "editstream-results";

    private Builder() {}

    /** Upper bound of the summed entry weights, in bytes (> 0). */
    public Builder maximumWeightBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maximumWeightBytes: must be > 0, was " + bytes);
      }
      this.maximumWeightBytes = bytes;
      return this;
    }

    /** How long an entry lives after it was written (> 0). */
    public Builder expireAfterWrite(Duration ttl) {
      Objects.requireNonNull(ttl, "expireAfterWrite");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("expireAfterWrite: must be > 0, was " + ttl);
      }
      this.expireAfterWrite = ttl;
      return this;
    }

    /** Largest inline image data kept in an entry, per image (>= 0); larger keeps only the uri. */
    public Builder maxInlineBytes(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxInlineBytes: must be >= 0, was " + bytes);
      }
      this.maxInlineBytes = bytes;
      return this;
    }

    /** Time source for expiry; tests pass a fake. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Runs the cache's maintenance; tests pass {@code Runnable::run}. */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Where the metrics go. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** The {@code cache} tag of the metrics. */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: must not be blank");
      }
      this.name = name;
      return this;
    }

    public ResultCache build() {
      return new ResultCache(this);
    }
  }
}
