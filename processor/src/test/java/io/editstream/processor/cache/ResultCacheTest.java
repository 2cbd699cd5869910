package io.editstream.processor.cache;

import static io.editstream.processor.cache.CacheFixtures.key;
import static io.editstream.processor.cache.CacheFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.editstream.processor.cache.CacheFixtures.FakeTicker;
import io.editstream.processor.cache.CacheLookup.Source;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResultCacheTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeTicker ticker = new FakeTicker();
  private final AtomicInteger calls = new AtomicInteger();
  private ExecutorService pool;

  private ResultCache.Builder builder() {
    return ResultCache.builder()
        .meterRegistry(registry)
        .ticker(ticker)
        .executor(Runnable::run)
        .name("test");
  }

  private final ResultCache cache = builder().build();

  // Caffeine logs through System.Logger (JUL here); failed calls must not flood the log.
  private final Logger caffeineLog = Logger.getLogger("com.github.benmanes.caffeine.cache");
  private final List<LogRecord> caffeineWarnings =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          caffeineWarnings.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureCaffeineLog() {
    caffeineLog.addHandler(capture);
  }

  @AfterEach
  void stop() {
    caffeineLog.removeHandler(capture);
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** A call that counts itself and completes with {@code value} at once. */
  private Supplier<CompletableFuture<CachedResult>> returning(CachedResult value) {
    return () -> {
      calls.incrementAndGet();
      return CompletableFuture.completedFuture(value);
    };
  }

  /** A call that counts itself and completes when the test completes {@code gate}. */
  private Supplier<CompletableFuture<CachedResult>> held(CompletableFuture<CachedResult> gate) {
    return () -> {
      calls.incrementAndGet();
      return gate;
    };
  }

  private static CacheLookup done(CompletableFuture<CacheLookup> f) throws Exception {
    assertThat(f).isDone();
    return f.get();
  }

  private double gets(String result) {
    return registry.get("cache.gets").tag("cache", "test").tag("result", result).counter().count();
  }

  private double coalesced() {
    return registry.get("cache.coalesced").tag("cache", "test").counter().count();
  }

  @Test
  void shouldMakeOneCallForHundredConcurrentIdenticalRequests() throws Exception {
    pool = Executors.newFixedThreadPool(16);
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch arrived = new CountDownLatch(100);
    List<CompletableFuture<CacheLookup>> lookups = new ArrayList<>();
    List<java.util.concurrent.Future<CompletableFuture<CacheLookup>>> submitted = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      submitted.add(
          pool.submit(
              () -> {
                start.await();
                CompletableFuture<CacheLookup> f = cache.getOrCompute(key(1), false, held(gate));
                arrived.countDown();
                return f;
              }));
    }
    start.countDown();
    // The call stays open until every request has arrived.
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    for (var s : submitted) {
      lookups.add(s.get());
    }
    assertThat(calls).hasValue(1);
    assertThat(lookups).noneMatch(CompletableFuture::isDone);

    gate.complete(result("a"));

    List<CacheLookup> answers = new ArrayList<>();
    for (var f : lookups) {
      answers.add(done(f));
    }
    assertThat(answers).extracting(CacheLookup::result).containsOnly(result("a"));
    assertThat(answers).filteredOn(a -> a.source() == Source.CALLED).hasSize(1);
    assertThat(answers).filteredOn(a -> a.source() == Source.COALESCED).hasSize(99);
    assertThat(answers).filteredOn(CacheLookup::servedFromCache).hasSize(99);
    assertThat(calls).hasValue(1);
    assertThat(gets("miss")).isEqualTo(1);
    assertThat(gets("hit")).isEqualTo(99);
    assertThat(coalesced()).isEqualTo(99);
  }

  @Test
  void shouldCallOncePerUniqueKeyUnderConcurrentMixedLoad() throws Exception {
    pool = Executors.newFixedThreadPool(8);
    ExecutorService model = Executors.newSingleThreadExecutor();
    int keys = 40;
    int perThread = 500;
    java.util.Map<Integer, AtomicInteger> callsPerKey =
        new java.util.concurrent.ConcurrentHashMap<>();
    List<java.util.concurrent.Future<List<CompletableFuture<Boolean>>>> workers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      long seed = t;
      workers.add(
          pool.submit(
              () -> {
                java.util.Random random = new java.util.Random(seed);
                List<CompletableFuture<Boolean>> checks = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                  int k = random.nextInt(keys);
                  checks.add(
                      cache
                          .getOrCompute(
                              key(k),
                              false,
                              () -> {
                                callsPerKey
                                    .computeIfAbsent(k, x -> new AtomicInteger())
                                    .incrementAndGet();
                                return CompletableFuture.supplyAsync(() -> result("k" + k), model);
                              })
                          .thenApply(l -> l.result().equals(result("k" + k))));
                }
                return checks;
              }));
    }
    try {
      for (var w : workers) {
        for (var check : w.get(30, TimeUnit.SECONDS)) {
          assertThat(check.get(30, TimeUnit.SECONDS)).isTrue();
        }
      }
    } finally {
      model.shutdownNow();
    }
    assertThat(callsPerKey).hasSize(keys);
    assertThat(callsPerKey.values()).allSatisfy(c -> assertThat(c).hasValue(1));
    assertThat(gets("miss")).isEqualTo(keys);
    assertThat(gets("hit")).isEqualTo(8 * perThread - keys);
  }

  @Test
  void shouldAnswerFromTheEntryOnceTheCallCompleted() throws Exception {
    assertThat(done(cache.getOrCompute(key(1), false, returning(result("a")))).source())
        .isEqualTo(Source.CALLED);
    CacheLookup second = done(cache.getOrCompute(key(1), false, returning(result("b"))));

    assertThat(second).isEqualTo(new CacheLookup(result("a"), Source.HIT));
    assertThat(cache.peek(key(1))).contains(result("a"));
    assertThat(cache.peek(key(2))).isEmpty();
    assertThat(calls).hasValue(1);
    assertThat(gets("miss")).isEqualTo(1);
    assertThat(gets("hit")).isEqualTo(2); // the second lookup and the present peek
    assertThat(coalesced()).isZero();
    assertThat(registry.get("cache.size").tag("cache", "test").gauge().value()).isEqualTo(1);
    assertThat(registry.get("cache.weight").tag("cache", "test").gauge().value())
        .isEqualTo(result("a").weightBytes() + 128);
  }

  @Test
  void shouldNotCacheAFailedCallAndShareTheFailureWithWaiters() throws Exception {
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();
    CompletableFuture<CacheLookup> owner = cache.getOrCompute(key(1), false, held(gate));
    CompletableFuture<CacheLookup> waiter = cache.getOrCompute(key(1), false, held(gate));
    assertThat(cache.peek(key(1))).isEmpty(); // in flight is not a completed entry

    gate.completeExceptionally(new IllegalStateException("model said 503"));

    for (var f : List.of(owner, waiter)) {
      assertThatThrownBy(f::get)
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("model said 503");
    }
    assertThat(caffeineWarnings).isEmpty();
    assertThat(cache.peek(key(1))).isEmpty();
    CacheLookup retry = done(cache.getOrCompute(key(1), false, returning(result("a"))));
    assertThat(retry.source()).isEqualTo(Source.CALLED);
    assertThat(calls).hasValue(2);
    assertThat(
            registry
                .get("cache.loads")
                .tag("cache", "test")
                .tag("result", "failure")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void shouldCallAgainWhenAWaiterRetriesInsideTheFailureCallback() throws Exception {
    // Waiters' callbacks may run before Caffeine's own removal of the failed future.
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();
    cache.getOrCompute(key(1), false, held(gate));
    CompletableFuture<CacheLookup> retried =
        cache
            .getOrCompute(key(1), false, held(gate))
            .handle((r, e) -> cache.getOrCompute(key(1), false, returning(result("a"))))
            .thenCompose(f -> f);

    gate.completeExceptionally(new IllegalStateException("boom"));

    assertThat(done(retried).source()).isEqualTo(Source.CALLED);
    assertThat(calls).hasValue(2);
  }

  @Test
  void shouldRelyOnCaffeineDroppingFailedFutures() {
    // The contract ResultCache builds on: an exceptionally completed future leaves the cache.
    AsyncCache<String, String> plain = Caffeine.newBuilder().executor(Runnable::run).buildAsync();
    CompletableFuture<String> f = new CompletableFuture<>();
    plain.put("k", f);
    assertThat(plain.getIfPresent("k")).isSameAs(f);
    f.completeExceptionally(new RuntimeException("boom"));
    assertThat(plain.getIfPresent("k")).isNull();
  }

  @Test
  void shouldTreatAThrowingOrNullCallAsAFailure() {
    CompletableFuture<CacheLookup> threw =
        cache.getOrCompute(
            key(1),
            false,
            () -> {
              throw new IllegalArgumentException("bad request");
            });
    assertThatThrownBy(threw::get).hasRootCauseMessage("bad request");
    CompletableFuture<CacheLookup> nullFuture = cache.getOrCompute(key(1), false, () -> null);
    assertThatThrownBy(nullFuture::get).isInstanceOf(ExecutionException.class);
    CompletableFuture<CacheLookup> nullResult =
        cache.getOrCompute(key(1), false, () -> CompletableFuture.completedFuture(null));
    assertThatThrownBy(nullResult::get).isInstanceOf(ExecutionException.class);
    assertThat(cache.peek(key(1))).isEmpty();
  }

  @Test
  void shouldCallAndReplaceTheEntryOnBypass() throws Exception {
    cache.put(key(1), result("old"));
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();

    CompletableFuture<CacheLookup> bypass = cache.getOrCompute(key(1), true, held(gate));
    CompletableFuture<CacheLookup> bypass2 = cache.getOrCompute(key(1), true, held(gate));
    CacheLookup during = done(cache.getOrCompute(key(1), false, returning(result("x"))));
    assertThat(during).isEqualTo(new CacheLookup(result("old"), Source.HIT));
    assertThat(calls).hasValue(1);

    gate.complete(result("new"));

    assertThat(done(bypass)).isEqualTo(new CacheLookup(result("new"), Source.CALLED));
    assertThat(done(bypass2)).isEqualTo(new CacheLookup(result("new"), Source.COALESCED));
    assertThat(cache.peek(key(1))).contains(result("new"));
    // The refresh slot is free again: the next bypass calls anew.
    assertThat(done(cache.getOrCompute(key(1), true, returning(result("newer")))).source())
        .isEqualTo(Source.CALLED);
    assertThat(calls).hasValue(2);
    assertThat(cache.peek(key(1))).contains(result("newer"));
    assertThat(gets("miss")).isEqualTo(2);
  }

  @Test
  void shouldKeepTheOldEntryWhenABypassFails() throws Exception {
    cache.put(key(1), result("old"));
    CompletableFuture<CacheLookup> bypass =
        cache.getOrCompute(
            key(1), true, () -> CompletableFuture.failedFuture(new IllegalStateException("503")));
    assertThatThrownBy(bypass::get).hasRootCauseMessage("503");
    assertThat(cache.peek(key(1))).contains(result("old"));
  }

  @Test
  void shouldShareABypassCallWhenThereIsNoEntry() throws Exception {
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();
    CompletableFuture<CacheLookup> bypass = cache.getOrCompute(key(1), true, held(gate));
    CompletableFuture<CacheLookup> plain = cache.getOrCompute(key(1), false, held(gate));
    assertThat(calls).hasValue(1);

    gate.complete(result("a"));

    assertThat(done(bypass).source()).isEqualTo(Source.CALLED);
    assertThat(done(plain)).isEqualTo(new CacheLookup(result("a"), Source.COALESCED));
    assertThat(done(cache.getOrCompute(key(1), false, returning(result("b")))).source())
        .isEqualTo(Source.HIT);
    assertThat(calls).hasValue(1);
  }

  @Test
  void shouldExpireEntriesAfterTheTtl() throws Exception {
    ResultCache ttl = builder().expireAfterWrite(Duration.ofMinutes(10)).build();
    ttl.getOrCompute(key(1), false, returning(result("a")));

    ticker.advance(Duration.ofMinutes(9));
    assertThat(ttl.peek(key(1))).contains(result("a"));
    ticker.advance(Duration.ofMinutes(2));
    assertThat(ttl.peek(key(1))).isEmpty();

    assertThat(done(ttl.getOrCompute(key(1), false, returning(result("b")))).source())
        .isEqualTo(Source.CALLED);
    assertThat(calls).hasValue(2);
    ttl.cleanUp();
    assertThat(
            registry
                .get("cache.evictions")
                .tag("cache", "test")
                .tag("cause", "EXPIRED")
                .summary()
                .count())
        .isEqualTo(1);
  }

  @Test
  void shouldNotExpireAnEntryWhileItsCallIsInFlight() throws Exception {
    ResultCache ttl = builder().expireAfterWrite(Duration.ofMinutes(10)).build();
    CompletableFuture<CachedResult> gate = new CompletableFuture<>();
    ttl.getOrCompute(key(1), false, held(gate));
    ticker.advance(Duration.ofMinutes(30));
    CompletableFuture<CacheLookup> waiter = ttl.getOrCompute(key(1), false, held(gate));
    gate.complete(result("a"));
    assertThat(done(waiter).source()).isEqualTo(Source.COALESCED);
    // The TTL counts from completion.
    ticker.advance(Duration.ofMinutes(9));
    assertThat(ttl.peek(key(1))).contains(result("a"));
    assertThat(calls).hasValue(1);
  }

  @Test
  void shouldEvictByWeight() {
    long oneEntry = result("k0", 3000).weightBytes() + 128;
    // Own registry: the first cache registered under a name owns its gauges.
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    ResultCache small = builder().meterRegistry(own).maximumWeightBytes(3 * oneEntry).build();
    for (int i = 0; i < 10; i++) {
      small.put(key(i), result("k" + i, 3000));
    }
    small.cleanUp();

    assertThat(small.weightBytes()).isLessThanOrEqualTo(3 * oneEntry);
    double evicted =
        own.get("cache.evictions").tag("cache", "test").tag("cause", "SIZE").summary().count();
    assertThat(evicted).isEqualTo(7);
    assertThat(own.get("cache.weight").tag("cache", "test").gauge().value())
        .isEqualTo(small.weightBytes());
    assertThat(own.get("cache.size").tag("cache", "test").gauge().value()).isEqualTo(3);
  }

  @Test
  void shouldDropLargeInlineDataFromTheEntryButKeepItForTheCaller() throws Exception {
    ResultCache c = builder().maxInlineBytes(1000).build();
    CacheLookup owner = done(c.getOrCompute(key(1), false, returning(result("big", 5000))));
    c.put(key(2), result("small", 500));

    assertThat(owner.result().images().get(0).getData().remaining()).isEqualTo(5000);
    var cached = c.peek(key(1)).orElseThrow().images().get(0);
    assertThat(cached.getData()).isNull();
    assertThat(cached.getUri()).isEqualTo("file:/blobs/big.png");
    assertThat(c.peek(key(2)).orElseThrow().images().get(0).getData().remaining()).isEqualTo(500);
  }

  @Test
  void shouldKeepItsOwnEntryWhenTheIndexEchoesTheSameResult() throws Exception {
    CacheLookup called = done(cache.getOrCompute(key(1), false, returning(result("mine", 500))));
    // What the L2 topic gives back: the same result by reference only, createdAt in millis.
    CachedResult echo = ResultRecordFormat.decode(ResultRecordFormat.encode(called.result()));

    assertThat(cache.putFromIndex(key(1), echo)).isFalse();

    var kept = cache.peek(key(1)).orElseThrow().images().get(0);
    assertThat(kept.getData()).as("inline data survives the echo").isNotNull();
    assertThat(kept.getData().remaining()).isEqualTo(500);
  }

  @Test
  void shouldTakeANewerResultFromTheIndex() throws Exception {
    done(cache.getOrCompute(key(1), false, returning(result("old", 500))));
    CachedResult old = cache.peek(key(1)).orElseThrow();
    CachedResult refreshed =
        new CachedResult(
            result("new").images(),
            null,
            old.model(),
            null,
            old.usage(),
            old.createdAt().plusSeconds(5));

    assertThat(cache.putFromIndex(key(1), refreshed)).isTrue();
    assertThat(cache.putFromIndex(key(2), result("elsewhere"))).isTrue();

    assertThat(cache.peek(key(1))).contains(refreshed);
    assertThat(cache.peek(key(2))).contains(result("elsewhere"));
  }

  @Test
  void shouldForgetAnInvalidatedEntry() throws Exception {
    cache.put(key(1), result("a"));
    cache.invalidate(key(1));
    assertThat(cache.peek(key(1))).isEmpty();
    assertThat(done(cache.getOrCompute(key(1), false, returning(result("b")))).source())
        .isEqualTo(Source.CALLED);
  }

  @Test
  void shouldRejectBadSettingsNamingThem() {
    assertThatThrownBy(() -> ResultCache.builder().maximumWeightBytes(0))
        .hasMessageContaining("maximumWeightBytes");
    assertThatThrownBy(() -> ResultCache.builder().expireAfterWrite(Duration.ZERO))
        .hasMessageContaining("expireAfterWrite");
    assertThatThrownBy(() -> ResultCache.builder().maxInlineBytes(-1))
        .hasMessageContaining("maxInlineBytes");
  }
}
