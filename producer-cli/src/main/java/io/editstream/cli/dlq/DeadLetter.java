package io.editstream.cli.dlq;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A record of the DLQ topic as the processor's decode step writes it: the original key and value
 * (or, for a large value, its claim check {@code editstream.dlq.value.uri}) with the headers {@code
 * editstream.dlq.topic/partition/offset/exception/message/timestamp} saying where it came from and
 * why it could not be decoded.
 *
 * @param value the original value; null when it was spilled to {@link #valueUri} or was null
 * @param headers the original record's headers, without the {@code editstream.dlq.*} ones
 * @param republishedFrom the DLQ record this one was re-published from before it failed again, or
 *     null
 */
public record DeadLetter(
    int partition,
    long offset,
    long timestamp,
    byte[] key,
    byte[] value,
    String valueUri,
    long valueSize,
    String sourceTopic,
    String sourcePartition,
    String sourceOffset,
    String exception,
    String message,
    Instant deadLetteredAt,
    Headers headers,
    String republishedFrom) {

  /** Prefix of the headers the processor adds to a dead-lettered record. */
  public static final String HEADER_PREFIX = "editstream.dlq.";

  /**
   * Added to a re-published record: {@code <dlq topic>:<partition>:<offset>} of the DLQ record it
   * came from. {@code editstream dlq} finds it on the jobs topic, so it never re-publishes a DLQ
   * record twice.
   */
  public static final String REPUBLISHED_FROM = "editstream.republished-from";

  public static DeadLetter of(ConsumerRecord<byte[], byte[]> r) {
    Headers kept = new RecordHeaders();
    for (Header h : r.headers()) {
      if (!h.key().startsWith(HEADER_PREFIX)) {
        kept.add(h);
      }
    }
    String size = header(r.headers(), "value.size");
    String at = header(r.headers(), "timestamp");
    return new DeadLetter(
        r.partition(),
        r.offset(),
        r.timestamp(),
        r.key(),
        r.value(),
        header(r.headers(), "value.uri"),
        size == null ? (r.value() == null ? 0 : r.value().length) : parseLong(size),
        header(r.headers(), "topic"),
        header(r.headers(), "partition"),
        header(r.headers(), "offset"),
        header(r.headers(), "exception"),
        header(r.headers(), "message"),
        at == null ? Instant.ofEpochMilli(r.timestamp()) : Instant.ofEpochMilli(parseLong(at)),
        kept,
        text(r.headers().lastHeader(REPUBLISHED_FROM)));
  }

  /** {@code partition:offset} in the DLQ topic: how the dlq command names a record. */
  public String position() {
    return partition + ":" + offset;
  }

  /** The value of {@link #REPUBLISHED_FROM} for a re-publication of this record. */
  public String marker(String dlqTopic) {
    return dlqTopic + ":" + partition + ":" + offset;
  }

  /** Where the processor read the original record, {@code topic-partition@offset}. */
  public String source() {
    if (sourceTopic == null) {
      return "?";
    }
    return sourceTopic + "-" + sourcePartition + "@" + sourceOffset;
  }

  /**
   * Why it was dead-lettered: the exception's simple name and its message, e.g. {@code
   * SerdeException: Cannot deserialize value ... [UNKNOWN_SCHEMA_ID]: ...}.
   */
  public String reason() {
    String name =
        exception == null ? "unknown" : exception.substring(exception.lastIndexOf('.') + 1);
    return message == null || message.isBlank() ? name : name + ": " + message;
  }

  /** The key as text (jobIds and SKUs are UTF-8), or {@code -} for none. */
  public String keyText() {
    return key == null ? "-" : new String(key, StandardCharsets.UTF_8);
  }

  private static String header(Headers headers, String name) {
    return text(headers.lastHeader(HEADER_PREFIX + name));
  }

  private static String text(Header h) {
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
