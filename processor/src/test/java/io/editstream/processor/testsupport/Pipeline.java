package io.editstream.processor.testsupport;

import io.editstream.schema.CancelRequest;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.editstream.serde.AvroSerdes;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One test's pipeline on the real broker and registry: unique topics and application id, the
 * settings a processor needs, a producer of jobs (Avro or raw bytes) and a {@code read_committed}
 * reader that records every outcome, every DLQ record and every jobId answered more than once.
 *
 * <p>The reader is assigned, not subscribed: without a consumer group a broker restart cannot make
 * it rejoin, rewind to a committed offset and report records twice that were written once; and a
 * record read again at an offset already seen is counted as {@link #redelivered}, never as a second
 * outcome.
 */
public final class Pipeline implements AutoCloseable {
  /** The API key {@link #settings} configures (tests look for it in logs and events). */
  public static final String API_KEY = "it-key-0123456789";

  public final String prefix;
  public final String jobsTopic;
  public final String resultsTopic;
  public final String failuresTopic;
  public final String cancelTopic;
  public final String dlqTopic;
  public final int partitions;
  public final KafkaBroker broker = KafkaBroker.shared();
  public final SchemaRegistry registry = SchemaRegistry.shared();

  public final Map<String, EditResult> results = new LinkedHashMap<>();
  public final Map<String, EditFailure> failures = new LinkedHashMap<>();
  public final List<ConsumerRecord<String, byte[]>> dlq = new ArrayList<>();

  /** JobIds with more than one outcome record. */
  public final Set<String> doubled = new LinkedHashSet<>();

  /** Outcome records beyond the first for their jobId. */
  public int duplicateOutcomes;

  /** Records delivered again at an offset already read (a reader artifact, not an outcome). */
  public int redelivered;

  private final Set<String> seenOffsets = new HashSet<>();
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Serializer<EditJob> jobSerializer;
  private final Serializer<CancelRequest> cancelSerializer;
  private final Deserializer<EditResult> resultDeserializer;
  private final Deserializer<EditFailure> failureDeserializer;

  /** Two partitions per topic. */
  public Pipeline() {
    this(2);
  }

  /** A pipeline whose topics have {@code partitions} partitions. */
  public Pipeline(int partitions) {
    this.partitions = partitions;
    this.prefix = TestTopics.unique("es") + ".";
    this.jobsTopic = prefix + "edit-jobs";
    this.resultsTopic = prefix + "edit-results";
    this.failuresTopic = prefix + "edit-failures";
    this.dlqTopic = prefix + "edit-jobs-dlq";
    this.cancelTopic = prefix + "edit-jobs-cancel";
    Map<String, Object> serde = new HashMap<>(registry.clientConfig());
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    jobSerializer = AvroSerdes.valueSerde(EditJob.class, serde).serializer();
    resultDeserializer = AvroSerdes.valueSerde(EditResult.class, serde).deserializer();
    failureDeserializer = AvroSerdes.valueSerde(EditFailure.class, serde).deserializer();
    cancelSerializer = AvroSerdes.valueSerde(CancelRequest.class, serde).serializer();
    for (String t : List.of(jobsTopic, resultsTopic, failuresTopic, dlqTopic, cancelTopic)) {
      broker.createTopic(t, partitions);
    }
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> assigned = new ArrayList<>();
    for (String t : List.of(resultsTopic, failuresTopic, dlqTopic)) {
      for (int i = 0; i < partitions; i++) {
        assigned.add(new TopicPartition(t, i));
      }
    }
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
  }

  /**
   * Processor settings for this pipeline: its topics and application id, the emulator as the model,
   * state and blobs under {@code work}, ops server on an ephemeral loopback port, fast retries;
   * everything else at its default.
   */
  public Map<String, String> settings(String emulatorUrl, Path work) {
    Map<String, String> s = new HashMap<>();
    s.putAll(broker.settings("kafka."));
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", API_KEY);
    s.put("gemini.base.url", emulatorUrl);
    s.put("topic.prefix", prefix);
    s.put("topic.partitions", Integer.toString(partitions));
    s.put("application.id", prefix + "processor");
    s.put("state.dir", work.resolve("state").toString());
    s.put("blob.dir", work.resolve("blobs").toString());
    s.put("http.port", "0");
    s.put("http.host", "127.0.0.1");
    s.put("retry.backoff.initial.ms", "20");
    s.put("retry.backoff.max.ms", "200");
    return s;
  }

  /** The job as the registry-aware serializer frames it (magic byte, schema id, Avro body). */
  public byte[] frame(EditJob job) {
    return jobSerializer.serialize(jobsTopic, job);
  }

  /** Sends the job keyed by its SKU. */
  public void send(EditJob job) {
    sendRaw(job.getSku(), frame(job));
  }

  public void sendRaw(String key, byte[] value) {
    sendRaw(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  public void sendRaw(byte[] key, byte[] value) {
    producer.send(new ProducerRecord<>(jobsTopic, key, value));
  }

  /** A cancel request for {@code jobId} on the cancel topic, keyed by the jobId. */
  public void cancel(String jobId, String reason) {
    CancelRequest request =
        CancelRequest.newBuilder()
            .setJobId(jobId)
            .setRequestedAt(Instant.now())
            .setRequestedBy("test")
            .setReason(reason)
            .build();
    producer.send(
        new ProducerRecord<>(
            cancelTopic,
            jobId.getBytes(StandardCharsets.UTF_8),
            cancelSerializer.serialize(cancelTopic, request)));
  }

  public void flush() {
    producer.flush();
  }

  /** Reads outcome topics until {@code done} holds or the timeout passes. */
  public boolean readUntil(BooleanSupplier done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      pollOnce();
    }
    return done.getAsBoolean();
  }

  /**
   * Reads every outcome topic up to its committed end (for a read_committed consumer the end is the
   * last stable offset), so nothing committed so far is left unread, doubles included.
   */
  public boolean readToCommittedEnd(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      pollOnce();
      Set<TopicPartition> assigned = consumer.assignment();
      Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(10));
      boolean atEnd = true;
      for (TopicPartition tp : assigned) {
        atEnd &= consumer.position(tp, Duration.ofSeconds(10)) >= ends.get(tp);
      }
      if (atEnd) {
        return true;
      }
    }
    return false;
  }

  private void pollOnce() {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      if (!seenOffsets.add(r.topic() + "-" + r.partition() + "@" + r.offset())) {
        redelivered++;
        continue;
      }
      if (r.topic().equals(dlqTopic)) {
        dlq.add(r);
        continue;
      }
      String jobId = r.key();
      if (answered(jobId)) {
        duplicateOutcomes++;
        doubled.add(jobId);
      }
      if (r.topic().equals(resultsTopic)) {
        results.put(jobId, resultDeserializer.deserialize(r.topic(), r.headers(), r.value()));
      } else {
        failures.put(jobId, failureDeserializer.deserialize(r.topic(), r.headers(), r.value()));
      }
    }
  }

  public int outcomes() {
    return results.size() + failures.size();
  }

  public boolean answered(String jobId) {
    return results.containsKey(jobId) || failures.containsKey(jobId);
  }

  public Map<FailureCode, Integer> failuresByCode() {
    Map<FailureCode, Integer> byCode = new EnumMap<>(FailureCode.class);
    failures.values().forEach(f -> byCode.merge(f.getCode(), 1, Integer::sum));
    return byCode;
  }

  /**
   * The instruction of job {@code i} of {@code jobs} in a kill test: the second half of the jobs
   * take 8 s a call, so some are surely in flight when an instance is killed after its first few
   * outcomes, however late the test thread reads them.
   */
  public static String instructionHalfSlow(int i, int jobs) {
    return "remove the background " + i + (i >= jobs / 2 ? " [emulator:slow=8000]" : "");
  }

  /**
   * A job of tenant {@code acme} with inline images (declared {@code image/png} when the bytes
   * start with the PNG signature, {@code image/jpeg} otherwise) and a 512 px PNG output.
   */
  public static EditJob job(String id, String instruction, byte[]... images) {
    List<InputImage> inputs = new ArrayList<>();
    for (byte[] image : images) {
      inputs.add(
          InputImage.newBuilder()
              .setMimeType(isPng(image) ? "image/png" : "image/jpeg")
              .setData(ByteBuffer.wrap(image))
              .build());
    }
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setSku("SKU-" + id)
        .setImages(inputs)
        .setInstruction(instruction)
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_512)
                .build())
        .setPriority(Priority.BULK)
        .setSubmittedAt(Instant.now())
        .build();
  }

  /** A job whose one image is read by URI, declared as {@code declaredType}. */
  public static EditJob uriJob(String id, String uri, String declaredType) {
    EditJob j = job(id, "edit " + id);
    j.setImages(List.of(InputImage.newBuilder().setMimeType(declaredType).setUri(uri).build()));
    return j;
  }

  private static boolean isPng(byte[] b) {
    return b.length >= 4 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
