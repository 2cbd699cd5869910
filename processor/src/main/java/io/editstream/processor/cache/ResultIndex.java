package io.editstream.processor.cache;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * L2 dedup cache: a compacted topic keyed by {@link ContentKey#hex()} whose values are result
 * references in {@link ResultRecordFormat} (JSON, no image bytes). Every instance publishes its
 * fresh results here and reads the whole topic into its {@link ResultCache}, so dedup survives
 * restarts and spans instances.
 *
 * <p>What callers may rely on: after {@link #start()}, a background thread reads the topic from the
 * beginning ({@code read_committed}, no consumer group) and keeps reading, putting every entry into
 * the L1 cache and invalidating it on a tombstone. {@link #awaitCaughtUp} returns true once
 * everything that was in the topic at start has been applied, so processing can wait for it.
 * Undecodable records are logged and skipped. {@link #close()} stops the reader and the producer.
 * Publishing is at-least-once and outside any Streams transaction: the topic is a cache, a lost or
 * repeated record costs at most one extra model call.
 */
public final class ResultIndex implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ResultIndex.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

  private final Duration topicWait;

  private final String topic;
  private final ResultCache cache;
  private final Clock clock;
  private final Map<String, Object> consumerConfig;
  private final KafkaProducer<String, byte[]> producer;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final Thread reader;
  private volatile boolean closed;
  private long stale; // reader thread only
  private volatile KafkaConsumer<String, byte[]> consumer;

  /**
   * @param clientConfig how to reach the cluster: {@code bootstrap.servers} and any security
   *     settings; serializers, acks, idempotence and isolation are set here
   * @param topic the compacted topic (see {@link #createTopicIfMissing})
   * @param cache the L1 cache the reader fills
   */
  public ResultIndex(Map<String, Object> clientConfig, String topic, ResultCache cache) {
    this(clientConfig, topic, cache, Clock.systemUTC());
  }

  /**
   * As {@link #ResultIndex(Map, String, ResultCache)}, with the clock that decides whether an entry
   * read from the topic is older than the cache's time-to-live.
   */
  public ResultIndex(
      Map<String, Object> clientConfig, String topic, ResultCache cache, Clock clock) {
    this(clientConfig, topic, cache, clock, STARTUP_TIMEOUT);
  }

  /**
   * With how long the reader waits for a just-created topic to appear before calling it missing.
   */
  ResultIndex(
      Map<String, Object> clientConfig,
      String topic,
      ResultCache cache,
      Clock clock,
      Duration topicWait) {
    this.topicWait = Objects.requireNonNull(topicWait, "topicWait");
    Objects.requireNonNull(clientConfig, "clientConfig");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (clientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new IllegalArgumentException("clientConfig: bootstrap.servers is missing");
    }
    this.topic = Objects.requireNonNull(topic, "topic");
    this.cache = Objects.requireNonNull(cache, "cache");

    Map<String, Object> p = new HashMap<>(clientConfig);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // publish() is called from stream threads: never block them long on missing metadata.
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "editstream-result-index-" + topic);
    this.producer = new KafkaProducer<>(p);

    Map<String, Object> c = new HashMap<>(clientConfig);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // A missing topic is a setup error; auto-creating it would give a non-compacted topic.
    c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    c.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "editstream-result-index-reader-" + topic);
    this.consumerConfig = c;
    this.reader = new Thread(this::read, "editstream-result-index-" + topic);
    reader.setDaemon(true);
  }

  /**
   * Creates {@code name} with {@code cleanup.policy=compact} unless it exists. An existing topic
   * that is not compacted is kept, with a warning (its entries then expire by retention).
   *
   * @return true if this call created the topic
   */
  public static boolean createTopicIfMissing(
      Admin admin, String name, int partitions, short replication) {
    try {
      admin
          .createTopics(
              List.of(
                  new NewTopic(name, partitions, replication)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT))))
          .all()
          .get(30, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException(
            "cannot create the result index topic " + name, e.getCause());
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating the result index topic " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating the result index topic " + name, e);
    }
    warnIfNotCompacted(admin, name);
    return false;
  }

  private static void warnIfNotCompacted(Admin admin, String name) {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
    try {
      Config config =
          admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
      var policy = config == null ? null : config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        log.warn(
            "Result index topic {} has cleanup.policy={}, not compact: cached results expire by"
                + " retention",
            name,
            policy == null ? "?" : policy.value());
      }
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Could not check the cleanup.policy of result index topic {}", name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the reader thread. Call once. */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("the result index for " + topic + " was already started");
    }
    reader.start();
  }

  /**
   * Waits until every record that was in the topic when the reader started has been applied to the
   * L1 cache.
   *
   * @return true when caught up, false when {@code timeout} passed first
   * @throws IllegalStateException if the reader failed (with the cause) or was never started
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    if (!started.get()) {
      throw new IllegalStateException("the result index for " + topic + " was not started");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    // Wake up now and then to notice a reader that died before catching up.
    while (!caughtUp.await(Math.min(100, remainingMillis(deadline)), TimeUnit.MILLISECONDS)) {
      rethrowFailure();
      if (remainingMillis(deadline) <= 0) {
        return false;
      }
    }
    rethrowFailure();
    return true;
  }

  private static long remainingMillis(long deadline) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  private void rethrowFailure() {
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException("the result index reader for " + topic + " failed", t);
    }
  }

  /**
   * Publishes a result so that every instance (and this one after a restart) finds it. Image bytes
   * are not published. The future completes when the broker acknowledged the record (acks=all).
   */
  public CompletableFuture<Void> publish(ContentKey key, CachedResult result) {
    Objects.requireNonNull(result, "result");
    return send(Objects.requireNonNull(key, "key"), ResultRecordFormat.encode(result));
  }

  /** Publishes a tombstone: every instance forgets the entry; compaction later drops it. */
  public CompletableFuture<Void> remove(ContentKey key) {
    return send(Objects.requireNonNull(key, "key"), null);
  }

  private CompletableFuture<Void> send(ContentKey key, byte[] value) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      producer.send(
          new ProducerRecord<>(topic, key.hex(), value),
          (metadata, e) -> {
            if (e != null) {
              done.completeExceptionally(e);
            } else {
              done.complete(null);
            }
          });
    } catch (RuntimeException e) {
      done.completeExceptionally(e);
    }
    return done;
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig)) {
      consumer = c;
      if (closed) {
        return;
      }
      List<TopicPartition> partitions = partitions(c);
      c.assign(partitions);
      c.seekToBeginning(partitions);
      // With read_committed these are the last stable offsets: the end of what "was there".
      Map<TopicPartition, Long> end = c.endOffsets(partitions, STARTUP_TIMEOUT);
      log.info("Reading result index {} ({} partitions) up to {}", topic, partitions.size(), end);
      long read = 0;
      boolean upToDate = false;
      while (!closed) {
        if (!upToDate && reached(c, end)) {
          upToDate = true;
          log.info(
              "Result index {} caught up: {} records read, {} stale skipped", topic, read, stale);
          caughtUp.countDown();
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
          apply(r);
          read++;
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        fail(e);
      }
    } catch (RuntimeException e) {
      fail(e);
    } finally {
      consumer = null;
    }
  }

  private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
    // A topic created a moment ago may not be in every broker's metadata yet (an empty answer, as
    // for a missing topic): ask again until the start-up timeout before calling it missing.
    long deadline = System.nanoTime() + topicWait.toNanos();
    List<PartitionInfo> infos = c.partitionsFor(topic, STARTUP_TIMEOUT);
    while ((infos == null || infos.isEmpty()) && System.nanoTime() < deadline && !closed) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for result index topic " + topic, e);
      }
      infos = c.partitionsFor(topic, STARTUP_TIMEOUT);
    }
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException(
          "result index topic "
              + topic
              + " does not exist after "
              + topicWait.toSeconds()
              + " s (the processor creates it at start-up as topic.prefix + edit-cache-index;"
              + " check kafka.bootstrap.servers and that this client may describe it)");
    }
    return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
  }

  private static boolean reached(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    ContentKey key;
    try {
      key = ContentKey.parse(r.key());
    } catch (IllegalArgumentException e) {
      log.warn(
          "Skipping result index record {}-{}@{}: bad key: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
      return;
    }
    if (r.value() == null) {
      cache.invalidate(key);
      return;
    }
    try {
      CachedResult result = ResultRecordFormat.decode(r.value());
      if (result.createdAt().plus(cache.expireAfterWrite()).isBefore(clock.instant())) {
        stale++;
        return;
      }
      cache.putFromIndex(key, result);
    } catch (IllegalArgumentException e) {
      log.warn(
          "Skipping result index record {}-{}@{} (key {}): {}",
          r.topic(),
          r.partition(),
          r.offset(),
          key,
          e.getMessage());
    }
  }

  private void fail(Throwable e) {
    failure.compareAndSet(null, e);
    log.error("Result index reader for {} stopped: dedup across restarts is off", topic, e);
  }

  /**
   * Stops the reader (waiting for its thread) and closes the producer after sending what it has.
   */
  @Override
  public void close() {
    closed = true;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (started.get()) {
      try {
        reader.join(Duration.ofSeconds(30).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    producer.close(Duration.ofSeconds(10));
  }
}
