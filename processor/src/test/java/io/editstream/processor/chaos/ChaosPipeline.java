package io.editstream.processor.chaos;

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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
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
 * One chaos run's pipeline on the real broker and registry: unique topics and application id, the
 * processor settings, a producer of jobs (Avro or raw bytes) and a {@code read_committed} reader
 * that records every outcome and every jobId answered more than once.
 *
 * <p>A copy of {@code it.Pipeline} (package-private there) with what chaos runs need on top:
 * failures by code, the doubled jobIds themselves, Avro frames for hand-made hostile records, and a
 * read up to the committed end of every outcome topic.
 */
final class ChaosPipeline implements AutoCloseable {
  final String prefix = TestTopics.unique("chaos") + ".";
  final String jobsTopic = prefix + "edit-jobs";
  final String resultsTopic = prefix + "edit-results";
  final String failuresTopic = prefix + "edit-failures";
  final String dlqTopic = prefix + "edit-jobs-dlq";
  final KafkaBroker broker = KafkaBroker.shared();
  final SchemaRegistry registry = SchemaRegistry.shared();

  final Map<String, EditResult> results = new LinkedHashMap<>();
  final Map<String, EditFailure> failures = new LinkedHashMap<>();
  final List<ConsumerRecord<String, byte[]>> dlq = new ArrayList<>();
  final Set<String> doubled = new LinkedHashSet<>();
  int duplicateOutcomes;

  /**
   * Records delivered again at an offset already read (a reader artifact, not a second outcome).
   */
  int redelivered;

  private final Set<String> seenOffsets = new java.util.HashSet<>();

  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Serializer<EditJob> jobSerializer;
  private final Deserializer<EditResult> resultDeserializer;
  private final Deserializer<EditFailure> failureDeserializer;

  ChaosPipeline() {
    Map<String, Object> serde = new HashMap<>(registry.clientConfig());
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    jobSerializer = AvroSerdes.valueSerde(EditJob.class, serde).serializer();
    resultDeserializer = AvroSerdes.valueSerde(EditResult.class, serde).deserializer();
    failureDeserializer = AvroSerdes.valueSerde(EditFailure.class, serde).deserializer();
    for (String t : List.of(jobsTopic, resultsTopic, failuresTopic, dlqTopic)) {
      broker.createTopic(t, 2);
    }
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    // Assigned, not subscribed: no consumer group, so a broker restart cannot make the reader
    // rejoin, rewind to a committed offset and see records twice that were written once.
    List<TopicPartition> partitions = new ArrayList<>();
    for (String t : List.of(resultsTopic, failuresTopic, dlqTopic)) {
      partitions.add(new TopicPartition(t, 0));
      partitions.add(new TopicPartition(t, 1));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Processor settings for this pipeline (fast retries; everything else at its default). */
  Map<String, String> settings(String emulatorUrl, Path work) {
    Map<String, String> s = new HashMap<>();
    s.put("kafka.bootstrap.servers", broker.bootstrapServers());
    broker
        .clientConfig()
        .forEach(
            (k, v) -> {
              if (!k.equals("bootstrap.servers")) {
                s.put("kafka." + k, String.valueOf(v));
              }
            });
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", "chaos-key-0123456789");
    s.put("gemini.base.url", emulatorUrl);
    s.put("topic.prefix", prefix);
    s.put("topic.partitions", "2");
    s.put("application.id", prefix + "processor");
    s.put("state.dir", work.resolve("state").toString());
    s.put("blob.dir", work.resolve("blobs").toString());
    s.put("http.port", "-1");
    s.put("retry.backoff.initial.ms", "20");
    s.put("retry.backoff.max.ms", "200");
    return s;
  }

  /** The job as the registry-aware serializer frames it (magic byte, schema id, Avro body). */
  byte[] frame(EditJob job) {
    return jobSerializer.serialize(jobsTopic, job);
  }

  void send(EditJob job) {
    sendRaw(job.getSku(), frame(job));
  }

  void sendRaw(String key, byte[] value) {
    producer.send(
        new ProducerRecord<>(
            jobsTopic,
            key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            value));
  }

  void flush() {
    producer.flush();
  }

  /** Reads outcome topics until {@code done} holds or the timeout passes. */
  boolean readUntil(BooleanSupplier done, Duration timeout) {
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
  boolean readToCommittedEnd(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      pollOnce();
      Set<TopicPartition> assigned = consumer.assignment();
      if (assigned.isEmpty()) {
        continue;
      }
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
      // A doubled outcome is a second record for a jobId, never the same record read twice.
      if (!seenOffsets.add(r.topic() + "-" + r.partition() + "@" + r.offset())) {
        redelivered++;
        continue;
      }
      if (r.topic().equals(dlqTopic)) {
        dlq.add(r);
        continue;
      }
      String jobId = r.key();
      if (results.containsKey(jobId) || failures.containsKey(jobId)) {
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

  int outcomes() {
    return results.size() + failures.size();
  }

  boolean answered(String jobId) {
    return results.containsKey(jobId) || failures.containsKey(jobId);
  }

  Map<FailureCode, Integer> failuresByCode() {
    Map<FailureCode, Integer> byCode = new EnumMap<>(FailureCode.class);
    failures.values().forEach(f -> byCode.merge(f.getCode(), 1, Integer::sum));
    return byCode;
  }

  /** A job with inline PNG images, a unique instruction and the smallest output. */
  static EditJob job(String id, String instruction, byte[]... pngs) {
    List<InputImage> inputs = new ArrayList<>();
    for (byte[] png : pngs) {
      inputs.add(
          InputImage.newBuilder().setMimeType("image/png").setData(ByteBuffer.wrap(png)).build());
    }
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant("chaos")
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

  /** A job whose one image is read by URI. */
  static EditJob uriJob(String id, String uri, String declaredType) {
    EditJob j = job(id, "edit " + id);
    j.setImages(List.of(InputImage.newBuilder().setMimeType(declaredType).setUri(uri).build()));
    return j;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close(Duration.ofSeconds(5));
  }
}
