package io.editstream.cli.kafka;

import io.editstream.cli.CliFailure;
import io.editstream.cli.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads some partitions ({@code read_committed}, no consumer group) from a time — or their
 * beginning — up to their end as of the start, and hands every record to a callback. The scan is
 * bounded: it never waits for records written after it started. Shows progress (records read of the
 * records to read) on the given line.
 */
public final class TopicScan {
  private TopicScan() {}

  /**
   * @param since read records with a timestamp at or after this; null reads from the beginning
   *     (that is, as far back as the topic's retention keeps)
   * @return records read
   */
  public static long scan(
      Connection conn,
      String clientId,
      Collection<TopicPartition> partitions,
      Instant since,
      Progress progress,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    if (partitions.isEmpty()) {
      return 0;
    }
    Map<String, Object> config = conn.kafkaClient();
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    config.putIfAbsent(
        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Clients.timeoutMs(conn.timeout()));
    long read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>(partitions);
      consumer.assign(parts);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
      Map<TopicPartition, Long> starts = consumer.beginningOffsets(parts);
      if (since != null) {
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(p -> query.put(p, since.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        for (TopicPartition p : parts) {
          OffsetAndTimestamp at = found.get(p);
          starts.put(p, at == null ? ends.get(p) : Math.max(at.offset(), starts.get(p)));
        }
      }
      long total = 0;
      for (TopicPartition p : parts) {
        long start = Math.min(starts.get(p), ends.get(p));
        consumer.seek(p, start);
        total += ends.get(p) - start;
      }
      long idleLimit = Math.max(conn.timeout().toNanos(), Duration.ofSeconds(30).toNanos());
      long lastRecord = System.nanoTime();
      while (!caughtUp(consumer, parts, ends)) {
        boolean any = false;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          any = true;
          TopicPartition p = new TopicPartition(r.topic(), r.partition());
          if (r.offset() < ends.get(p)) {
            read++;
            each.accept(r);
          }
        }
        if (any) {
          lastRecord = System.nanoTime();
        } else if (System.nanoTime() - lastRecord > idleLimit) {
          throw CliFailure.infra(
              "reading " + parts + " stalled: no record for " + idleLimit / 1_000_000_000 + " s",
              null);
        }
        if (progress != null) {
          progress.update(read, total, "");
        }
      }
    }
    return read;
  }

  private static boolean caughtUp(
      KafkaConsumer<?, ?> consumer, List<TopicPartition> parts, Map<TopicPartition, Long> ends) {
    for (TopicPartition p : parts) {
      if (consumer.position(p) < ends.get(p)) {
        return false;
      }
    }
    return true;
  }
}
