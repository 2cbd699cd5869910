package io.editstream.processor.topology;

import io.editstream.schema.EditJob;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 1: decode. A record that decodes is re-keyed by its jobId (so duplicates of a job meet in
 * one task); one that does not goes to the DLQ unchanged, with headers saying where it came from
 * and why. A registry outage is not the record's fault: it is thrown, and the record is retried.
 */
final class DecodeProcessor implements Processor<byte[], byte[], byte[], Decoded> {

  static final String HEADER_PREFIX = "editstream.dlq.";
  private static final Logger log = LoggerFactory.getLogger(DecodeProcessor.class);

  private final Deserializer<EditJob> deserializer;
  private final Predicate<RuntimeException> transientError;
  private final TopologyMetrics metrics;
  private ProcessorContext<byte[], Decoded> context;

  DecodeProcessor(
      Deserializer<EditJob> deserializer,
      Predicate<RuntimeException> transientError,
      TopologyMetrics metrics) {
    this.deserializer = deserializer;
    this.transientError = transientError;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<byte[], Decoded> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? "?" : meta.topic();
    metrics.jobIn();
    if (record.value() == null) {
      deadLetter(record, meta, "NullValue", "record has no value (tombstone)");
      return;
    }
    EditJob job;
    try {
      job = deserializer.deserialize(topic, record.headers(), record.value());
    } catch (RuntimeException e) {
      if (transientError.test(e)) {
        throw e;
      }
      deadLetter(record, meta, e.getClass().getName(), String.valueOf(e.getMessage()));
      return;
    }
    String jobId = job.getJobId();
    if (jobId == null || jobId.isBlank()) {
      // Still answered: validation fails it with INVALID_JOB naming jobId.
      jobId = "no-job-id:" + where(meta);
    }
    context.forward(
        record
            .withKey(jobId.getBytes(StandardCharsets.UTF_8))
            .withValue(new Decoded(record.value(), false)));
  }

  private void deadLetter(
      Record<byte[], byte[]> record, RecordMetadata meta, String exception, String message) {
    log.warn("Undecodable record at {} sent to the DLQ: {}: {}", where(meta), exception, message);
    metrics.deadLettered();
    Headers headers = record.headers();
    if (meta != null) {
      headers.add(HEADER_PREFIX + "topic", utf8(meta.topic()));
      headers.add(HEADER_PREFIX + "partition", utf8(Integer.toString(meta.partition())));
      headers.add(HEADER_PREFIX + "offset", utf8(Long.toString(meta.offset())));
    }
    headers.add(HEADER_PREFIX + "exception", utf8(exception));
    headers.add(HEADER_PREFIX + "message", utf8(message));
    headers.add(HEADER_PREFIX + "timestamp", utf8(Long.toString(System.currentTimeMillis())));
    context.forward(record.withValue(new Decoded(record.value(), true)));
  }

  private static String where(RecordMetadata meta) {
    return meta == null
        ? "unknown position"
        : meta.topic() + "-" + meta.partition() + "@" + meta.offset();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
