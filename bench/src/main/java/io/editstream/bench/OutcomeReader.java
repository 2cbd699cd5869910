package io.editstream.bench;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.serde.AvroSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the results and failures topics as downstream consumers do ({@code read_committed}) and
 * notes when each job's outcome became visible ({@link System#nanoTime()}).
 */
public final class OutcomeReader implements AutoCloseable {

  /** A result or failure as it was seen. */
  public record Seen(
      EditResult result,
      EditFailure failure,
      long seenNanos,
      long recordTimestamp,
      int valueBytes) {
    public boolean ok() {
      return result != null;
    }
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final String resultsTopic;
  private final Deserializer<EditResult> results;
  private final Deserializer<EditFailure> failures;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private int duplicates;

  public OutcomeReader(BenchEnv env, String prefix) {
    Map<String, Object> c = new HashMap<>(env.broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "bench-reader");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    this.resultsTopic = prefix + "edit-results";
    Map<String, Object> serde = new HashMap<>(env.registry.clientConfig());
    this.results = AvroSerdes.valueSerde(EditResult.class, serde).deserializer();
    this.failures = AvroSerdes.valueSerde(EditFailure.class, serde).deserializer();
    consumer.subscribe(List.of(resultsTopic, prefix + "edit-failures"));
  }

  /** Polls until {@code done} holds or {@code timeout} passes; returns {@code done}'s answer. */
  public boolean readUntil(BooleanSupplier done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        long now = System.nanoTime();
        Seen s =
            r.topic().equals(resultsTopic)
                ? new Seen(
                    results.deserialize(r.topic(), r.value()),
                    null,
                    now,
                    r.timestamp(),
                    r.value().length)
                : new Seen(
                    null,
                    failures.deserialize(r.topic(), r.value()),
                    now,
                    r.timestamp(),
                    r.value().length);
        if (seen.putIfAbsent(r.key(), s) != null) {
          duplicates++;
        }
      }
    }
    return done.getAsBoolean();
  }

  public int count() {
    return seen.size();
  }

  public Map<String, Seen> seen() {
    return seen;
  }

  public int duplicates() {
    return duplicates;
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
