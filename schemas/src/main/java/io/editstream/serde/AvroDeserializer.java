package io.editstream.serde;

import io.editstream.registry.SchemaRegistryClient;
import io.editstream.registry.SchemaRegistryException;
import io.editstream.serde.SerdeException.Reason;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka {@link Deserializer} for Confluent-framed Avro into a {@link SpecificRecord} class: fetches
 * the writer's schema by the frame's id (cached forever) and resolves it against the class's
 * schema, so records written with an older compatible schema read with defaults filled in.
 *
 * <p>The reader class comes from the constructor or, for instances Kafka makes from the class name,
 * from {@code specific.avro.value.type} / {@code specific.avro.key.type}. {@code null} reads as
 * {@code null}. Bad bytes raise a {@link SerdeException} naming topic, schema id and reason.
 * Thread-safe once configured.
 */
public class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

  private volatile Class<T> type;
  private volatile Schema readerSchema;
  private volatile SpecificData model;
  private volatile SchemaRegistryClient client;
  private volatile boolean isKey;
  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

  /** For Kafka's {@code key.deserializer}/{@code value.deserializer}; call {@link #configure}. */
  public AvroDeserializer() {}

  /** Reads into {@code type}; call {@link #configure} for the registry settings. */
  public AvroDeserializer(Class<T> type) {
    setType(Objects.requireNonNull(type, "type"));
  }

  /**
   * Reads values into {@code type} with {@code client} (and its cache); ready to use, {@link
   * #configure} only changes key/value.
   */
  public AvroDeserializer(Class<T> type, SchemaRegistryClient client) {
    this(type);
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (type == null) {
      String key =
          isKey ? AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE : AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE;
      setType(typeFrom(configs, key));
    }
    if (client == null) {
      client = RegistryClients.forConfigs(configs);
    }
  }

  /** The class records are read into. */
  public Class<T> type() {
    return type;
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return data == null ? null : read(topic, data, 0, data.length);
  }

  @Override
  public T deserialize(String topic, Headers headers, byte[] data) {
    return deserialize(topic, data);
  }

  @Override
  public T deserialize(String topic, Headers headers, ByteBuffer data) {
    if (data == null) {
      return null;
    }
    if (data.hasArray()) {
      return read(topic, data.array(), data.arrayOffset() + data.position(), data.remaining());
    }
    byte[] copy = new byte[data.remaining()];
    data.duplicate().get(copy);
    return read(topic, copy, 0, copy.length);
  }

  private T read(String topic, byte[] bytes, int offset, int length) {
    if (client == null || type == null) {
      throw new IllegalStateException(
          "AvroDeserializer is not configured: call configure(...) or build it with AvroSerdes");
    }
    if (length == 0) {
      throw failure(
          Reason.TRUNCATED, topic, -1, "the frame is empty, expected at least 5 bytes", null);
    }
    if (bytes[offset] != AvroSerializer.MAGIC_BYTE) {
      throw failure(
          Reason.WRONG_MAGIC_BYTE,
          topic,
          -1,
          String.format(
              "first byte is 0x%02x, expected 0x00: not written by a Confluent-compatible Avro serializer",
              bytes[offset] & 0xff),
          null);
    }
    if (length < AvroSerializer.HEADER_SIZE) {
      throw failure(
          Reason.TRUNCATED,
          topic,
          -1,
          "the frame is " + length + " bytes, shorter than its 5-byte header",
          null);
    }
    int id = ByteBuffer.wrap(bytes, offset + 1, 4).getInt();
    DatumReader<T> reader = readerFor(topic, id);
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                bytes,
                offset + AvroSerializer.HEADER_SIZE,
                length - AvroSerializer.HEADER_SIZE,
                null);
    T value;
    try {
      value = reader.read(null, decoder);
    } catch (EOFException e) {
      throw failure(
          Reason.TRUNCATED,
          topic,
          id,
          "the Avro body ("
              + (length - AvroSerializer.HEADER_SIZE)
              + " bytes) ends before the record does",
          e);
    } catch (IOException | RuntimeException e) {
      throw failure(Reason.READ_FAILED, topic, id, "the Avro body does not decode: " + e, e);
    }
    try {
      if (!decoder.isEnd()) {
        // A valid frame holds exactly one record; leftovers mean the id does not match the body.
        throw failure(
            Reason.READ_FAILED,
            topic,
            id,
            "bytes left over after the record: the body does not match its schema id",
            null);
      }
    } catch (IOException e) {
      throw failure(Reason.READ_FAILED, topic, id, "the Avro body does not decode: " + e, e);
    }
    return value;
  }

  private DatumReader<T> readerFor(String topic, int id) {
    DatumReader<T> reader = readers.get(id);
    if (reader != null) {
      return reader;
    }
    Schema writer;
    try {
      writer = client.schemaById(id);
    } catch (SchemaRegistryException e) {
      throw SerdeException.fromRegistry(e, Reason.UNKNOWN_SCHEMA_ID, false, topic, isKey, id);
    }
    var compatibility =
        SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer).getResult();
    if (compatibility.getCompatibility()
        != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw failure(
          Reason.INCOMPATIBLE,
          topic,
          id,
          "writer schema "
              + writer.getFullName()
              + " cannot be read as "
              + type.getName()
              + ": "
              + compatibility.getIncompatibilities(),
          null);
    }
    // Failures are not cached: a registry that is down now may answer later.
    reader = new SpecificDatumReader<>(writer, readerSchema, model);
    DatumReader<T> previous = readers.putIfAbsent(id, reader);
    return previous != null ? previous : reader;
  }

  private SerdeException failure(
      Reason reason, String topic, int id, String detail, Throwable cause) {
    return new SerdeException(reason, false, topic, isKey, id, detail, cause);
  }

  private void setType(Class<T> type) {
    SpecificData data = SpecificData.getForClass(type);
    Schema schema = data.getSchema(type);
    AvroClassTrust.trustTypesOf(schema);
    this.model = data;
    this.readerSchema = schema;
    this.type = type;
  }

  @SuppressWarnings("unchecked")
  private static <T> Class<T> typeFrom(Map<String, ?> configs, String key) {
    Object value = configs.get(key);
    if (value == null) {
      throw new ConfigException(
          "AvroDeserializer needs the record class to read into: pass it to the constructor or set "
              + key);
    }
    Class<?> type;
    if (value instanceof Class<?> c) {
      type = c;
    } else {
      try {
        type =
            Class.forName(
                value.toString().trim(), false, Thread.currentThread().getContextClassLoader());
      } catch (ClassNotFoundException e) {
        throw new ConfigException(key + " names an unknown class: " + value);
      }
    }
    if (!SpecificRecord.class.isAssignableFrom(type)) {
      throw new ConfigException(
          key + " must name an Avro SpecificRecord class, got " + type.getName());
    }
    return (Class<T>) type;
  }
}
