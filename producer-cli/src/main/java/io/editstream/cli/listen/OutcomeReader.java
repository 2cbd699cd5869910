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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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

  /**
   * One outcome ({@link EditResult}, {@link EditFailure} or {@link Undecodable}) and where it was
   * read, for {@link #handled} or {@link #retryLater}.
   */
  record Polled(Object outcome, TopicPartition partition, long offset) {}

  private final KafkaConsumer<String, byte[]> consumer;
  private final Connection conn;
  private final boolean grouped;
  private final Deserializer<EditResult> results;
  private final Deserializer<EditFailure> failures;
  // With a group: the offset to commit per partition, and the partitions this run commits no
  // further on (an outcome there is to be read again by the next run).
  private final Map<TopicPartition, Long> toCommit = new HashMap<>();
  private final Set<TopicPartition> held = new HashSet<>();

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

  /**
   * Next outcomes: {@link EditResult}s, {@link EditFailure}s and {@link Undecodable}s. Nothing is
   * committed until the caller says each is {@link #handled} and calls {@link #commit}.
   */
  List<Polled> poll(Duration timeout) {
    List<Polled> out = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      TopicPartition partition = new TopicPartition(r.topic(), r.partition());
      Object outcome;
      try {
        if (r.topic().equals(conn.topics().results())) {
          outcome = results.deserialize(r.topic(), r.headers(), r.value());
        } else {
          outcome = failures.deserialize(r.topic(), r.headers(), r.value());
        }
      } catch (SerdeException e) {
        if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
          throw Clients.serdeFailure(e, conn);
        }
        outcome = new Undecodable(r.topic(), r.partition(), r.offset(), e.getMessage());
      }
      out.add(new Polled(outcome, partition, r.offset()));
    }
    return out;
  }

  /**
   * {@code p} is dealt with: the next {@link #commit} moves past it, unless its partition is held.
   */
  void handled(Polled p) {
    if (!held.contains(p.partition())) {
      toCommit.put(p.partition(), p.offset() + 1);
    }
  }

  /**
   * {@code p} could not be dealt with (an image not saved): on its partition this run commits no
   * further than {@code p}, so the next run with the same group reads it (and what follows) again.
   */
  void retryLater(Polled p) {
    if (held.add(p.partition())) {
      toCommit.put(p.partition(), p.offset());
    }
  }

  /** With a group: commits the position after what was {@link #handled}. */
  void commit() {
    if (!grouped || toCommit.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    toCommit.forEach((p, offset) -> offsets.put(p, new OffsetAndMetadata(offset)));
    consumer.commitSync(offsets);
    toCommit.clear();
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
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
