package io.editstream.processor;

import io.editstream.processor.blob.BlobStore;
import io.editstream.processor.cache.ResultCache;
import io.editstream.processor.cache.ResultIndex;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.dispatch.ModelDispatcher;
import io.editstream.processor.image.FetchPolicy;
import io.editstream.processor.image.HostResolver;
import io.editstream.processor.image.ImageEncoder;
import io.editstream.processor.image.ImageLimits;
import io.editstream.processor.image.ImageLoader;
import io.editstream.processor.image.ObjectSource;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.processor.topology.Dispatcher;
import io.editstream.processor.topology.JobRuntime;
import io.editstream.processor.validate.JobValidator;
import io.editstream.processor.validate.ValidationLimits;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the production collaborators of the topology from the configuration. */
final class Dispatchers {
  private static final Logger log = LoggerFactory.getLogger(Dispatchers.class);

  private Dispatchers() {}

  static FetchPolicy fetchPolicy(ProcessorConfig config) {
    FetchPolicy policy =
        FetchPolicy.defaults()
            .withAllowedHosts(new HashSet<>(config.input().allowHosts()))
            .withAllowPrivateAddresses(config.input().allowPrivate())
            .withTimeouts(config.input().connectTimeout(), config.input().fetchTimeout())
            .withMaxRedirects(config.input().maxRedirects())
            .withAllowedBuckets(new HashSet<>(config.input().allowedBuckets()));
    return config.input().fileRoot() == null
        ? policy
        : policy.withFileRoot(config.input().fileRoot());
  }

  static JobRuntime.Validator validator(ProcessorConfig config) {
    // A URI scheme that is switched off fails at validation, before any work.
    JobValidator validator =
        new JobValidator(
            ValidationLimits.defaults()
                .withAllowedUriSchemes(fetchPolicy(config).enabledSchemes()));
    return job ->
        validator
            .validate(job)
            .map(r -> Outcome.Failure.permanent(r.code(), null, null, r.message()));
  }

  /**
   * The quota gate: one pool per provider and model. AI Studio's pools come from {@code quota.*}
   * (by model), the other providers' from {@code provider.<name>.quota.*} (default model); a pool
   * without limits is unlimited (only {@code model.max.in.flight} bounds it). Jobs go to the first
   * provider in {@code model.providers} whose pool admits them and that {@code available} says
   * takes calls. {@code clock} is the wall clock of the daily quota (midnight Pacific).
   */
  static DispatchGate gate(
      ProcessorConfig config,
      InFlightLimit inFlight,
      int inputPartitions,
      Predicate<String> available,
      MeterRegistry meters,
      Clock clock) {
    ProcessorConfig.Quota quota = config.quota();
    List<String> providers = config.providers().order();
    for (String provider : providers) {
      ProcessorConfig.PoolLimits l = quota.limitsOf(config.model().defaultModel(), provider);
      log.info(
          "Quota pool {} at {}: rpm {}, ipm {}, tpm {}, rpd {}, burst {} (0 = unlimited),"
              + " window {} ms, shared by {} input partitions",
          config.model().defaultModel(),
          provider,
          l.rpm(),
          l.ipm(),
          l.tpm(),
          l.rpd(),
          l.burst(),
          quota.window().toMillis(),
          inputPartitions);
    }
    for (String provider : ProcessorConfig.Providers.KNOWN) {
      if (!providers.contains(provider)
          && !quota.limitsOf(config.model().defaultModel(), provider).unlimited()) {
        log.warn(
            "Quota limits are set for provider {} (provider.{}.quota.*{}), but it is not in"
                + " model.providers {}: they have no effect",
            provider,
            provider,
            provider.equals(ProcessorConfig.AI_STUDIO) ? " or quota.*" : "",
            providers);
      }
    }
    return new DispatchGate(
        inFlight,
        inputPartitions,
        providers,
        (model, provider) -> {
          ProcessorConfig.PoolLimits l = quota.limitsOf(model, provider);
          return QuotaPool.builder(
                  model, new QuotaLimits(l.rpm(), l.ipm(), l.tpm(), l.rpd(), l.burst()))
              .provider(provider)
              .window(quota.window())
              .clock(clock) // the processor's: the daily reset and per-day holds follow it
              .meterRegistry(meters)
              .build();
        },
        available,
        quota.tenantWeights(),
        quota.defaultTenantWeight(),
        quota.queueMax(),
        meters);
  }

  /** The dispatcher, and its cache index whose read is under way ({@link #awaitCacheIndex}). */
  record Production(Dispatcher dispatcher, ResultIndex index, long indexStartedNanos) {}

  static Production production(
      ProcessorConfig config,
      ModelClient model,
      BlobStore blobs,
      ObjectSource inputObjects,
      MeterRegistry meters,
      Clock clock) {
    ExecutorService io = Executors.newCachedThreadPool(daemon("editstream-image-io"));
    ExecutorService cpu =
        Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), daemon("editstream-encode"));
    ImageLoader loader =
        new ImageLoader(
            ImageLimits.defaults(), fetchPolicy(config), io, HostResolver.SYSTEM, inputObjects);
    ProcessorConfig.Cache bounds = config.cache();
    log.info(
        "Dedup cache bounded at {} bytes ({} MiB, {}), entries expire after {} ms",
        bounds.maxBytes(),
        bounds.maxBytes() / (1024 * 1024),
        bounds.maxBytesFromHeap()
            ? "1/8 of the heap of "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024)
                + " MiB within 16..256 MiB; cache.max.bytes is not set"
            : "cache.max.bytes",
        bounds.ttl().toMillis());
    ResultCache cache =
        ResultCache.builder()
            .maximumWeightBytes(bounds.maxBytes())
            .expireAfterWrite(bounds.ttl())
            .maxInlineBytes(config.outputInlineMaxBytes())
            .meterRegistry(meters)
            .build();
    // Read on its own thread; the processor waits for it just before Kafka Streams starts
    // (awaitCacheIndex), so the read overlaps the rest of the start-up.
    ResultIndex index =
        new ResultIndex(new HashMap<>(config.kafka()), config.topics().cacheIndex(), cache, clock);
    long indexStarted = System.nanoTime();
    index.start();
    ModelDispatcher dispatcher =
        new ModelDispatcher(
            loader,
            new ImageEncoder(ImageLimits.defaults()),
            cache,
            index,
            model,
            blobs,
            new ModelDispatcher.Pricing(
                config.pricing().inputPerMillion(), config.pricing().outputPerMillion()),
            config.outputInlineMaxBytes(),
            config.model().ids(),
            config.cache().tenantIsolation(),
            cpu,
            clock,
            meters) {
          @Override
          public void close() {
            super.close();
            io.shutdownNow();
            cpu.shutdownNow();
          }
        };
    return new Production(dispatcher, index, indexStarted);
  }

  /**
   * Waits (at most 60 s) until the cache index started by {@link #production} is read to its end: a
   * job dispatched before then could miss a result another instance already paid for.
   */
  static void awaitCacheIndex(ResultIndex index, String topic, long startedNanos) {
    boolean caughtUp;
    try {
      caughtUp = index.awaitCaughtUp(Duration.ofSeconds(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the cache index", e);
    }
    if (!caughtUp) {
      log.warn("Cache index {} not read to its end within 60 s; going on", topic);
    } else {
      log.info(
          "Cache index {} read in {} ms", topic, (System.nanoTime() - startedNanos) / 1_000_000);
    }
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
