package io.editstream.cli.kafka;

import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * The open transaction of a command that re-publishes records (replay, dlq): what it sent and, with
 * a consumer group, the position of the records it read commit together. Committed every 500
 * records or 5 seconds, so a slow {@code --rate} stays well below the broker's transaction timeout
 * (default 60 s). Callers may rely on: after {@link #commit()} returns, everything sent is visible
 * to {@code read_committed} readers; after a failure or a crash, nothing of the open transaction
 * is.
 */
public final class TransactionBatch<K, V> {
  private static final long MAX_TRANSACTION_NANOS = 5_000_000_000L;
  private static final int MAX_RECORDS_PER_TRANSACTION = 500;

  private final KafkaProducer<K, V> producer;
  private final String fencedHint;
  private final Supplier<ConsumerGroupMetadata> group;
  private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
  private boolean open;
  private long openedAt;
  private int sent;

  /**
   * @param producer a transactional producer, {@code initTransactions()} already called
   * @param fencedHint what a failed commit most likely means, for the user
   * @param group the consumer group whose position commits with the records; null for none
   */
  public TransactionBatch(
      KafkaProducer<K, V> producer, String fencedHint, Supplier<ConsumerGroupMetadata> group) {
    this.producer = producer;
    this.fencedHint = fencedHint;
    this.group = group;
  }

  public void send(ProducerRecord<K, V> record) {
    begin();
    producer.send(record);
    sent++;
  }

  /** Moves the group's position past {@code record}; commits when the transaction is due. */
  public void markRead(ConsumerRecord<?, ?> record) {
    begin();
    offsets.put(
        new TopicPartition(record.topic(), record.partition()),
        new OffsetAndMetadata(record.offset() + 1));
    commitIfDue();
  }

  /** Records sent since the last commit. */
  public int uncommitted() {
    return sent;
  }

  public void commit() {
    if (!open) {
      return;
    }
    try {
      if (group != null && !offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, group.get());
      }
      producer.commitTransaction();
    } catch (KafkaException e) {
      throw CliFailure.infra(
          "could not commit the transaction ("
              + fencedHint
              + "): "
              + EditstreamCli.rootMessage(e)
              + ". Nothing of this transaction was published; run again.",
          e);
    }
    offsets.clear();
    open = false;
    sent = 0;
  }

  /**
   * Commits when the transaction is big or old enough. Call it only where what was sent and what
   * was read are consistent (e.g. after {@link #markRead} of the record a send came from).
   */
  public void commitIfDue() {
    if (open && sent >= MAX_RECORDS_PER_TRANSACTION
        || open && System.nanoTime() - openedAt > MAX_TRANSACTION_NANOS) {
      commit();
    }
  }

  private void begin() {
    if (!open) {
      producer.beginTransaction();
      open = true;
      openedAt = System.nanoTime();
    }
  }
}
