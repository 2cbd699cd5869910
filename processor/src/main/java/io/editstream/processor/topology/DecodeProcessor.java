package io.editstream.processor.topology;

import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
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
 *
 * <p>The cache-hit fast path: a valid job whose result the dedup cache already holds, found without
 * I/O ({@link Dispatcher#cached}), is answered here. Its (small) {@link EditResult} goes through
 * the repartition hop instead of the job's (image-sized) bytes, marked by {@link #HIT_HEADER}; the
 * job processor then only makes sure its jobId gets no second outcome. This halves the bytes and
 * decoding work of a hit (DESIGN.md §12: ≥ 5,000 hits/s per instance).
 */
final class DecodeProcessor implements Processor<byte[], byte[], byte[], Decoded> {

  static final String HEADER_PREFIX = "editstream.dlq.";

  /**
   * Marks a repartitioned record whose value is an encoded {@link EditResult} (a cache hit), not a
   * job. Internal: removed from every input record, so a producer cannot set it.
   */
  static final String HIT_HEADER = "editstream.internal.cache-hit";

  private static final byte[] ONE = {1};
  private static final Logger log = LoggerFactory.getLogger(DecodeProcessor.class);

  private final Deserializer<EditJob> deserializer;
  private final Predicate<RuntimeException> transientError;
  private final JobRuntime runtime;
  private final Serializer<EditResult> results;
  private final String resultsTopic;
  private final ModelIds models;
  private final int directPartitions;

  /** Undecodable values above this size are spilled (claim check) rather than copied to the DLQ. */
  static final int DLQ_INLINE_MAX_BYTES = 512 * 1024;

  private ProcessorContext<byte[], Decoded> context;

  DecodeProcessor(
      Deserializer<EditJob> deserializer,
      Predicate<RuntimeException> transientError,
      JobRuntime runtime,
      Serializer<EditResult> results,
      String resultsTopic,
      ModelIds models,
      int directPartitions) {
    this.directPartitions = directPartitions;
    this.deserializer = deserializer;
    this.transientError = transientError;
    this.runtime = runtime;
    this.results = results;
    this.resultsTopic = resultsTopic;
    this.models = models;
  }

  @Override
  public void init(ProcessorContext<byte[], Decoded> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? "?" : meta.topic();
    runtime.metrics().jobIn();
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
    record.headers().remove(HIT_HEADER);
    record.headers().remove(JobProcessor.CANCEL_HEADER);
    String jobId = job.getJobId();
    if (jobId == null || jobId.isBlank()) {
      // Still answered: validation fails it with INVALID_JOB naming jobId.
      jobId = "no-job-id:" + where(meta);
    }
    byte[] key = jobId.getBytes(StandardCharsets.UTF_8);
    boolean direct = isOwnPartition(record.key(), key, meta);
    if (job.getJobId() != null && !job.getJobId().isBlank()) {
      Optional<byte[]> hit = answerFromCache(jobId, job);
      if (hit.isPresent()) {
        record.headers().add(HIT_HEADER, ONE);
        context.forward(record.withKey(key).withValue(new Decoded(hit.get(), false, direct)));
        return;
      }
    }
    context.forward(record.withKey(key).withValue(new Decoded(record.value(), false, direct)));
    if (!direct) {
      // A job for the model is invisible to the job task until this transaction commits: commit
      // now rather than at the next interval (jobs come at most at the model's pace; hits batch).
      context.commit();
    }
  }

  /**
   * True when the record needs no repartition hop: keyed by its jobId (as {@code editstream submit}
   * does) and in the partition the default partitioner gives that key, which is the partition of
   * the job task that owns the jobId (the repartition topic has as many partitions as the input). A
   * record keyed otherwise (by SKU, or a custom partitioner) takes the hop.
   */
  private boolean isOwnPartition(byte[] recordKey, byte[] jobIdKey, RecordMetadata meta) {
    return directPartitions > 0
        && meta != null
        && recordKey != null
        && java.util.Arrays.equals(recordKey, jobIdKey)
        && Utils.toPositive(Utils.murmur2(jobIdKey)) % directPartitions == meta.partition();
  }

  /** The encoded result of a valid job the cache answers without I/O; empty otherwise. */
  private Optional<byte[]> answerFromCache(String jobId, EditJob job) {
    if (job.getBypassCache() || runtime.validator().validate(job).isPresent()) {
      return Optional.empty(); // a bypass calls the model; the job processor reports the rejection
    }
    Optional<Dispatcher.Produced> hit = runtime.dispatcher().cached(job);
    if (hit.isEmpty()) {
      return Optional.empty();
    }
    long now = runtime.clock().millis();
    EditResult result = Results.of(jobId, job, hit.get(), models, now, now, 0, now);
    return Optional.of(results.serialize(resultsTopic, result));
  }

  private void deadLetter(
      Record<byte[], byte[]> record, RecordMetadata meta, String exception, String message) {
    log.warn("Undecodable record at {} sent to the DLQ: {}: {}", where(meta), exception, message);
    runtime.metrics().deadLettered();
    Headers headers = record.headers();
    if (meta != null) {
      headers.add(HEADER_PREFIX + "topic", utf8(meta.topic()));
      headers.add(HEADER_PREFIX + "partition", utf8(Integer.toString(meta.partition())));
      headers.add(HEADER_PREFIX + "offset", utf8(Long.toString(meta.offset())));
    }
    headers.add(HEADER_PREFIX + "exception", utf8(exception));
    // Bounded: the DLQ record is the original value plus these headers.
    headers.add(
        HEADER_PREFIX + "message",
        utf8(message.length() <= 1_000 ? message : message.substring(0, 1_000) + "…"));
    headers.add(HEADER_PREFIX + "timestamp", utf8(Long.toString(runtime.clock().millis())));
    byte[] value = record.value();
    JobRuntime.DeadLetterSpill spill = runtime.deadLetterSpill();
    if (value != null && value.length > DLQ_INLINE_MAX_BYTES && spill != null) {
      // The DLQ record is the value plus headers: at the input topic's size limit it would not
      // fit a DLQ topic of the same limit. Keep the bytes in the blob store and point to them.
      try {
        java.net.URI where = spill.store(value);
        headers.add(HEADER_PREFIX + "value.uri", utf8(where.toString()));
        headers.add(HEADER_PREFIX + "value.size", utf8(Integer.toString(value.length)));
        value = null;
      } catch (java.io.IOException | RuntimeException e) {
        log.error("Could not spill a {}-byte DLQ value; sending it as it is", value.length, e);
      }
    }
    context.forward(record.withValue(Decoded.deadLetter(value)));
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
