package io.editstream.processor.ops;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Finds a finished job's outcome record. Outcome topics are keyed by jobId, so the record is in the
 * partition the default partitioner picks for the key; it carries the timestamp the completed-jobs
 * store remembers, so {@code offsetsForTimes} lands on it or just before it. A scan from there
 * reads at most {@link #MAX_SCANNED} committed records, or until records are more than {@link
 * #SLACK} newer than the outcome.
 *
 * <p>One consumer (no group, {@code read_committed}), used under a lock: lookups are rare.
 */
final class OutcomeRecords implements AutoCloseable {

  static final int MAX_SCANNED = 20_000;
  static final Duration SLACK = Duration.ofMinutes(1);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration SCAN_TIME = Duration.ofSeconds(5);

  /** An outcome record: its place and its value bytes. */
  record Found(String topic, int partition, long offset, long timestampMs, byte[] value) {}

  private final Map<String, Object> kafka;
  private KafkaConsumer<String, byte[]> consumer;

  OutcomeRecords(Map<String, Object> kafka) {
    this.kafka = kafka;
  }

  /** The first record keyed {@code jobId} at or after {@code timestampMs} in {@code topic}. */
  synchronized Optional<Found> find(String topic, String jobId, long timestampMs) {
    KafkaConsumer<String, byte[]> c = consumer();
    List<PartitionInfo> partitions = c.partitionsFor(topic, Duration.ofSeconds(5));
    if (partitions == null || partitions.isEmpty()) {
      return Optional.empty();
    }
    int partition =
        Utils.toPositive(Utils.murmur2(jobId.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            % partitions.size();
    TopicPartition tp = new TopicPartition(topic, partition);
    Map<TopicPartition, OffsetAndTimestamp> at =
        c.offsetsForTimes(Map.of(tp, timestampMs), Duration.ofSeconds(5));
    OffsetAndTimestamp start = at.get(tp);
    if (start == null) {
      return Optional.empty();
    }
    c.assign(List.of(tp));
    c.seek(tp, start.offset());
    long end = c.endOffsets(List.of(tp), Duration.ofSeconds(5)).getOrDefault(tp, 0L);
    long deadline = System.nanoTime() + SCAN_TIME.toNanos();
    int scanned = 0;
    while (c.position(tp, Duration.ofSeconds(5)) < end
        && scanned < MAX_SCANNED
        && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
        scanned++;
        if (jobId.equals(r.key())) {
          return Optional.of(new Found(topic, r.partition(), r.offset(), r.timestamp(), r.value()));
        }
        if (r.timestamp() > timestampMs + SLACK.toMillis()) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private KafkaConsumer<String, byte[]> consumer() {
    if (consumer == null) {
      // The kafka.* settings (bootstrap, security) as the Admin client gets them.
      Map<String, Object> props = new java.util.HashMap<>(kafka);
      props.remove(ConsumerConfig.GROUP_ID_CONFIG);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      props.put(ConsumerConfig.CLIENT_ID_CONFIG, "editstream-job-lookup");
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
      consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
    return consumer;
  }

  @Override
  public synchronized void close() {
    if (consumer != null) {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }
}
