package io.editstream.bench.sidebyside;

import io.editstream.bench.BenchEnv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one system's outcome topics on a thread of its own, as a downstream {@code read_committed}
 * consumer would, and notes when each job's outcome records were seen (epoch ms). Only keys (job
 * ids) matter; a record on a topic ending in "failures" or a value starting with "failed:" counts
 * as a failure.
 */
final class ResultReader implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, List<Long>> seen = new ConcurrentHashMap<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicLong caughtUpAt = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  ResultReader(BenchEnv env, String groupId, List<String> topics) {
    Map<String, Object> c = new HashMap<>(env.broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    // The outcome topics may be created by the system after this subscribes.
    c.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2000);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(topics);
    thread = new Thread(this::run, "result-reader-" + groupId);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        long pollStarted = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          long now = System.currentTimeMillis();
          seen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(now);
          if (r.topic().endsWith("failures")
              || (r.value() != null
                  && new String(r.value(), StandardCharsets.UTF_8).startsWith("failed:"))) {
            failures.incrementAndGet();
          }
        }
        Set<TopicPartition> assigned = consumer.assignment();
        if (!assigned.isEmpty()) {
          Map<TopicPartition, Long> end = consumer.endOffsets(assigned);
          boolean caughtUp =
              end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
          if (caughtUp) {
            caughtUpAt.set(pollStarted);
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /** Waits until a poll that began after this call found nothing left to read. */
  boolean catchUp(Duration timeout) throws InterruptedException {
    long asked = System.currentTimeMillis();
    long deadline = asked + timeout.toMillis();
    while (caughtUpAt.get() <= asked && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    return caughtUpAt.get() > asked;
  }

  int jobsWithOutcome() {
    return seen.size();
  }

  Set<String> jobsWithOutcomeIds() {
    return Set.copyOf(seen.keySet());
  }

  /** Job id to when its first outcome was seen. */
  Map<String, Long> firstSeen() {
    Map<String, Long> out = new HashMap<>();
    seen.forEach((k, v) -> out.put(k, v.get(0)));
    return out;
  }

  long duplicateOutcomes() {
    return Tally.duplicateResults(seen);
  }

  int failures() {
    return failures.get();
  }

  @Override
  public void close() {
    if (running) {
      running = false;
      consumer.wakeup();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
