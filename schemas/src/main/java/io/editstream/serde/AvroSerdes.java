package io.editstream.serde;

import io.editstream.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Factories for configured Avro serdes. Kafka Streams does not call {@code configure} on serdes
 * passed to {@code Consumed.with}/{@code Produced.with}, so these return ready-to-use instances.
 *
 * <pre>{@code
 * Serde<EditJob> jobs = AvroSerdes.valueSerde(EditJob.class, Map.of("schema.registry.url", url));
 * }</pre>
 */
public final class AvroSerdes {

  private AvroSerdes() {}

  /** A value serde configured from Confluent-style settings ({@code schema.registry.url}, …). */
  public static <T extends SpecificRecord> AvroSerde<T> valueSerde(
      Class<T> type, Map<String, ?> configs) {
    return serde(type, configs, false);
  }

  /** A key serde (subject {@code <topic>-key}) configured from Confluent-style settings. */
  public static <T extends SpecificRecord> AvroSerde<T> keySerde(
      Class<T> type, Map<String, ?> configs) {
    return serde(type, configs, true);
  }

  /** A serde configured from Confluent-style settings. */
  public static <T extends SpecificRecord> AvroSerde<T> serde(
      Class<T> type, Map<String, ?> configs, boolean isKey) {
    AvroSerde<T> serde = new AvroSerde<>(type);
    serde.configure(configs, isKey);
    return serde;
  }

  /**
   * A serde using {@code client} (sharing its id cache); {@code configs} holds only the serde
   * settings ({@code auto.register.schemas}, {@code use.latest.version}), no registry URL needed.
   */
  public static <T extends SpecificRecord> AvroSerde<T> serde(
      Class<T> type, SchemaRegistryClient client, Map<String, ?> configs, boolean isKey) {
    AvroSerde<T> serde = new AvroSerde<>(type, client);
    serde.configure(configs, isKey);
    return serde;
  }
}
