package io.editstream.cli.listen;

import io.editstream.cli.CliFailure;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.serde.SerdeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads results and failures ({@code read_committed}): with a consumer group (resumable, committed
 * after each poll) or by assigning every partition from a chosen start.
 */
final class OutcomeReader implements AutoCloseable {
  /** Where an assigned reader starts. */
  sealed interface Start {}

  record FromBeginning() implements Start {}

  record FromEnd() implements Start {}

  record FromTime(Instant since) implements Start {}

  /** A record that did not decode: counted and shown, never fatal. */
  record Undecodable(String topic, int partition, long offset, String reason) {}

  private final KafkaConsumer<String, byte[]> consumer;
  private final Connection conn;
  private final boolean grouped;
  private final Deserializer<EditResult> results;
  private final Deserializer<EditFailure> failures;

  private OutcomeReader(KafkaConsumer<String, byte[]> consumer, Connection conn, boolean grouped) {
    this.consumer = consumer;
    this.conn = conn;
    this.grouped = grouped;
    this.results = Clients.deserializer(EditResult.class, conn);
    this.failures = Clients.deserializer(EditFailure.class, conn);
  }

  /**
   * Opens a reader: checks Kafka answers and both topics exist (exit code 3 if not).
   *
   * @param group consumer group, or null to assign every partition from {@code start}
   */
  static OutcomeReader open(Connection conn, String group, Start start) {
    List<String> topics = List.of(conn.topics().results(), conn.topics().failures());
    List<TopicPartition> partitions = new ArrayList<>();
    try (Admin admin = Clients.admin(conn, "editstream-cli-listen-check")) {
      Clients.checkReachable(admin, conn);
      Map<String, TopicDescription> described =
          admin
              .describeTopics(topics)
              .allTopicNames()
              .get(conn.timeout().toMillis(), TimeUnit.MILLISECONDS);
      described
          .values()
          .forEach(
              d ->
                  d.partitions()
                      .forEach(p -> partitions.add(new TopicPartition(d.name(), p.partition()))));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw CliFailure.infra(
            Clients.missingTopic(topics, conn, "--results-topic / --failures-topic"), e);
      }
      throw CliFailure.infra("cannot describe " + topics + ": " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw CliFailure.infra("Kafka did not describe " + topics + " in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    }
    Map<String, Object> config = conn.kafkaClient();
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "editstream-cli-listen");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    if (group != null) {
      config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    }
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    OutcomeReader reader = new OutcomeReader(consumer, conn, group != null);
    if (group != null) {
      consumer.subscribe(topics);
    } else {
      consumer.assign(partitions);
      reader.seek(partitions, start);
    }
    return reader;
  }

  private void seek(List<TopicPartition> partitions, Start start) {
    if (start instanceof FromBeginning) {
      consumer.seekToBeginning(partitions);
    } else if (start instanceof FromEnd) {
      consumer.seekToEnd(partitions);
    } else if (start instanceof FromTime t) {
      Map<TopicPartition, Long> query = new HashMap<>();
      partitions.forEach(p -> query.put(p, t.since().toEpochMilli()));
      Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
      List<TopicPartition> none = new ArrayList<>();
      found.forEach(
          (p, o) -> {
            if (o == null) {
              none.add(p);
            } else {
              consumer.seek(p, o.offset());
            }
          });
      consumer.seekToEnd(none);
    }
  }

  /** Next outcomes: {@link EditResult}s, {@link EditFailure}s and {@link Undecodable}s. */
  List<Object> poll(Duration timeout) {
    List<Object> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      try {
        if (r.topic().equals(conn.topics().results())) {
          out.add(results.deserialize(r.topic(), r.headers(), r.value()));
        } else {
          out.add(failures.deserialize(r.topic(), r.headers(), r.value()));
        }
      } catch (SerdeException e) {
        if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
          throw Clients.serdeFailure(e, conn);
        }
        out.add(new Undecodable(r.topic(), r.partition(), r.offset(), e.getMessage()));
      }
    }
    if (grouped && !out.isEmpty()) {
      consumer.commitSync();
    }
    return out;
  }

  /** Whether every assigned partition has been read up to its current end. */
  boolean caughtUp() {
    Collection<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) {
      return false;
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
    for (TopicPartition p : assigned) {
      if (consumer.position(p) < ends.getOrDefault(p, 0L)) {
        return false;
      }
    }
    return true;
  }

  void wakeup() {
    consumer.wakeup();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
