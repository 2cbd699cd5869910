package io.editstream.serde;

import io.editstream.registry.SchemaRegistryException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that could not be serialized or deserialized. A {@link SerializationException}, so
 * Kafka's producer, consumer and Streams handlers treat it as such.
 *
 * <p>Callers may rely on {@link #reason()}, {@link #topic()}, {@link #isKey()} and, where known,
 * {@link #schemaId()}, {@link #partition()} and {@link #offset()}; the message names all of the
 * known ones. A deserializer cannot see the record's partition and offset, so whoever handles the
 * failure (e.g. a dead-letter handler) adds them with {@link #locate(Throwable, int, long)}.
 */
public class SerdeException extends SerializationException {

  /** Why the record could not be (de)serialized. */
  public enum Reason {
    /** The first byte is not the 0x00 magic byte of the Confluent frame. */
    WRONG_MAGIC_BYTE,
    /** The frame is shorter than its 5-byte header, or the Avro body ends early. */
    TRUNCATED,
    /** The registry does not know the frame's schema id. */
    UNKNOWN_SCHEMA_ID,
    /** {@code auto.register.schemas=false} and the record's schema is not under the subject. */
    SCHEMA_NOT_REGISTERED,
    /**
     * The writer's schema cannot be read as the reader's class, or the registry refused to register
     * the schema under its compatibility rule.
     */
    INCOMPATIBLE,
    /** The registry could not be reached or answered 5xx: retrying later may succeed. */
    REGISTRY_UNAVAILABLE,
    /** The registry gave another error (e.g. 401 bad credentials). */
    REGISTRY_ERROR,
    /** The Avro body does not decode with its writer schema. */
    READ_FAILED,
    /** The record could not be encoded (e.g. a required field is null). */
    WRITE_FAILED
  }

  private final Reason reason;
  private final boolean serializing;
  private final String topic;
  private final boolean key;
  private final int schemaId;
  private final int partition;
  private final long offset;
  private final String detail;

  SerdeException(
      Reason reason,
      boolean serializing,
      String topic,
      boolean key,
      int schemaId,
      String detail,
      Throwable cause) {
    this(reason, serializing, topic, key, schemaId, -1, -1L, detail, cause);
  }

  private SerdeException(
      Reason reason,
      boolean serializing,
      String topic,
      boolean key,
      int schemaId,
      int partition,
      long offset,
      String detail,
      Throwable cause) {
    super(detail, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.serializing = serializing;
    this.topic = topic;
    this.key = key;
    this.schemaId = schemaId;
    this.partition = partition;
    this.offset = offset;
    this.detail = detail;
  }

  /** Maps a registry failure to the serde's reasons; {@code notFound} is used for 404 answers. */
  static SerdeException fromRegistry(
      SchemaRegistryException e,
      Reason notFound,
      boolean serializing,
      String topic,
      boolean key,
      int schemaId) {
    Reason reason =
        switch (e.kind()) {
          case SUBJECT_NOT_FOUND, VERSION_NOT_FOUND, SCHEMA_NOT_FOUND -> notFound;
          case INCOMPATIBLE -> Reason.INCOMPATIBLE;
          case UNAVAILABLE -> Reason.REGISTRY_UNAVAILABLE;
          default -> Reason.REGISTRY_ERROR;
        };
    return new SerdeException(reason, serializing, topic, key, schemaId, e.getMessage(), e);
  }

  /**
   * Finds the {@link SerdeException} in {@code error} or its causes and returns a copy that also
   * names the record's partition and offset; empty when the failure is not a serde failure.
   */
  public static Optional<SerdeException> locate(Throwable error, int partition, long offset) {
    return find(error).map(e -> e.at(partition, offset));
  }

  /** The {@link SerdeException} in {@code error} or its causes, if any. */
  public static Optional<SerdeException> find(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SerdeException serde) {
        return Optional.of(serde);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  /** A copy of this exception naming the record's partition and offset. */
  public SerdeException at(int partition, long offset) {
    SerdeException located =
        new SerdeException(
            reason, serializing, topic, key, schemaId, partition, offset, detail, getCause());
    located.setStackTrace(getStackTrace());
    return located;
  }

  public Reason reason() {
    return reason;
  }

  /** True when serializing failed, false when deserializing failed. */
  public boolean isSerializing() {
    return serializing;
  }

  public String topic() {
    return topic;
  }

  /** True for the record key, false for the value. */
  public boolean isKey() {
    return key;
  }

  /** The schema id from the frame or the registry, when it was known. */
  public OptionalInt schemaId() {
    return schemaId < 0 ? OptionalInt.empty() : OptionalInt.of(schemaId);
  }

  public OptionalInt partition() {
    return partition < 0 ? OptionalInt.empty() : OptionalInt.of(partition);
  }

  public OptionalLong offset() {
    return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
  }

  /** What went wrong, without the context the message adds. */
  public String detail() {
    return detail;
  }

  @Override
  public String getMessage() {
    StringBuilder message =
        new StringBuilder()
            .append(serializing ? "Cannot serialize " : "Cannot deserialize ")
            .append(key ? "key" : "value")
            .append(serializing ? " for topic '" : " of topic '")
            .append(topic)
            .append('\'');
    if (partition >= 0) {
      message.append(" partition ").append(partition);
    }
    if (offset >= 0) {
      message.append(" offset ").append(offset);
    }
    if (schemaId >= 0) {
      message.append(" (schema id ").append(schemaId).append(')');
    }
    return message.append(" [").append(reason).append("]: ").append(detail).toString();
  }
}
