package io.editstream.serde;

import io.editstream.registry.RegisteredSchema;
import io.editstream.registry.SchemaRegistryClient;
import io.editstream.registry.SchemaRegistryException;
import io.editstream.serde.SerdeException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serializer} for Avro {@link SpecificRecord}s, byte-compatible with Confluent's
 * {@code KafkaAvroSerializer}: {@code 0x00}, the schema id as a 4-byte big-endian int, the Avro
 * binary body. The subject is {@code <topic>-key} or {@code <topic>-value} (TopicNameStrategy).
 *
 * <p>Made by Kafka from its class name, it needs {@link #configure}; made with a {@link
 * SchemaRegistryClient} it is ready as a value serializer with Confluent's defaults and {@link
 * #configure} may still change the settings. {@code null} serializes to {@code null}. Failures are
 * {@link SerdeException}s. Thread-safe once configured.
 */
public class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

  static final byte MAGIC_BYTE = 0;
  static final int HEADER_SIZE = 5;

  private volatile SchemaRegistryClient client;
  private volatile AvroSerdeConfig settings = AvroSerdeConfig.DEFAULTS;
  private volatile boolean isKey;
  private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
  private final Map<String, RegisteredSchema> latestBySubject = new ConcurrentHashMap<>();

  /** For Kafka's {@code key.serializer}/{@code value.serializer}; call {@link #configure}. */
  public AvroSerializer() {}

  /** Uses {@code client} (and its cache), e.g. shared with other serdes or an in-memory one. */
  public AvroSerializer(SchemaRegistryClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.settings = AvroSerdeConfig.fromConfigs(configs);
    this.isKey = isKey;
    if (client == null) {
      client = RegistryClients.forConfigs(configs);
    }
  }

  @Override
  public byte[] serialize(String topic, T record) {
    if (record == null) {
      return null;
    }
    SchemaRegistryClient registry = client;
    if (registry == null) {
      throw new IllegalStateException(
          "AvroSerializer is not configured: call configure(...) or build it with AvroSerdes");
    }
    Schema schema = record.getSchema();
    String subject = topic + (isKey ? "-key" : "-value");
    if (settings.useLatestVersion()) {
      RegisteredSchema latest = latest(registry, topic, subject, schema);
      Schema target = latest.schema();
      if (target.equals(schema)) {
        return frame(topic, latest.id(), record, schema);
      }
      return frame(topic, latest.id(), convert(topic, latest.id(), record, schema, target), target);
    }
    int id;
    try {
      id =
          settings.autoRegisterSchemas()
              ? registry.register(subject, schema)
              : registry.lookup(subject, schema);
    } catch (SchemaRegistryException e) {
      throw SerdeException.fromRegistry(e, Reason.SCHEMA_NOT_REGISTERED, true, topic, isKey, -1);
    }
    return frame(topic, id, record, schema);
  }

  private RegisteredSchema latest(
      SchemaRegistryClient registry, String topic, String subject, Schema schema) {
    RegisteredSchema cached = latestBySubject.get(subject);
    if (cached != null) {
      return cached;
    }
    RegisteredSchema latest;
    try {
      latest = registry.latest(subject);
    } catch (SchemaRegistryException e) {
      throw SerdeException.fromRegistry(e, Reason.SCHEMA_NOT_REGISTERED, true, topic, isKey, -1);
    }
    if (settings.latestCompatibilityStrict()) {
      var result =
          SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), schema).getResult();
      if (result.getCompatibility() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw new SerdeException(
            Reason.INCOMPATIBLE,
            true,
            topic,
            isKey,
            latest.id(),
            "the latest version "
                + latest.version()
                + " of subject '"
                + subject
                + "' cannot read records of "
                + schema.getFullName()
                + ": "
                + result.getIncompatibilities(),
            null);
      }
    }
    // Cached for the serializer's life, as Confluent does by default: ids never change.
    latestBySubject.putIfAbsent(subject, latest);
    return latest;
  }

  private byte[] frame(String topic, int id, Object datum, Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(MAGIC_BYTE);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writerFor(datum, schema).write(datum, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerdeException(
          Reason.WRITE_FAILED,
          true,
          topic,
          isKey,
          id,
          "cannot encode " + schema.getFullName() + ": " + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  private DatumWriter<Object> writerFor(Object datum, Schema schema) {
    DatumWriter<Object> writer = writers.get(schema);
    if (writer == null) {
      writer =
          datum instanceof SpecificRecord
              ? new SpecificDatumWriter<>(schema, SpecificData.getForClass(datum.getClass()))
              : new GenericDatumWriter<>(schema, GenericData.get());
      writers.putIfAbsent(schema, writer);
    }
    return writer;
  }

  /**
   * Re-reads {@code record} as {@code target}: writes it with its own schema, reads it resolved.
   */
  private Object convert(String topic, int id, T record, Schema source, Schema target) {
    byte[] body = frame(topic, id, record, source);
    try {
      return new GenericDatumReader<Object>(source, target, GenericData.get())
          .read(
              null,
              DecoderFactory.get()
                  .binaryDecoder(body, HEADER_SIZE, body.length - HEADER_SIZE, null));
    } catch (IOException | AvroRuntimeException e) {
      throw new SerdeException(
          Reason.INCOMPATIBLE,
          true,
          topic,
          isKey,
          id,
          "cannot convert "
              + source.getFullName()
              + " to the subject's latest schema: "
              + e.getMessage(),
          e);
    }
  }
}
