package io.editstream.serde;

import io.editstream.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka (Streams) {@link Serde} of an {@link AvroSerializer} and an {@link AvroDeserializer} for
 * one {@link SpecificRecord} class. Usually made with {@link AvroSerdes}.
 */
public class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /** For {@code default.value.serde}: the class comes from {@code specific.avro.value.type}. */
  public AvroSerde() {
    this(new AvroSerializer<>(), new AvroDeserializer<>());
  }

  /** Reads into {@code type}; call {@link #configure}. */
  public AvroSerde(Class<T> type) {
    this(new AvroSerializer<>(), new AvroDeserializer<>(type));
  }

  /** Reads into {@code type} through {@code client}; ready as a value serde. */
  public AvroSerde(Class<T> type, SchemaRegistryClient client) {
    this(new AvroSerializer<>(client), new AvroDeserializer<>(type, client));
  }

  private AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
    this.serializer = serializer;
    this.deserializer = deserializer;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }
}
