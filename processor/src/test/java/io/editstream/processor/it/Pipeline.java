package io.editstream.processor.it;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's pipeline on the real broker and registry: unique topics and application id, the
 * settings a processor needs, a job producer and a read_committed reader of every outcome topic.
 */
final class Pipeline implements AutoCloseable {
  final String prefix = TestTopics.unique("es") + ".";
  final String jobsTopic = prefix + "edit-jobs";
  final String resultsTopic = prefix + "edit-results";
  final String failuresTopic = prefix + "edit-failures";
  final String dlqTopic = prefix + "edit-jobs-dlq";
  final KafkaBroker broker = KafkaBroker.shared();
  final SchemaRegistry registry = SchemaRegistry.shared();

  private final KafkaProducer<String, EditJob> producer;
  private final KafkaProducer<byte[], byte[]> rawProducer;
  private final KafkaConsumer<String, byte[]> consumer;
  final Map<String, EditResult> results = new LinkedHashMap<>();
  final Map<String, EditFailure> failures = new LinkedHashMap<>();
  final List<ConsumerRecord<String, byte[]>> dlq = new ArrayList<>();
  int duplicateOutcomes;
  final int partitions;

  Pipeline() {
    this(2);
  }

  /** A pipeline whose topics have {@code partitions} partitions. */
  Pipeline(int partitions) {
    this.partitions = partitions;
    Map<String, Object> serde = new HashMap<>(registry.clientConfig());
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    producer =
        new KafkaProducer<>(
            p, new StringSerializer(), AvroSerdes.valueSerde(EditJob.class, serde).serializer());
    rawProducer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "reader");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    for (String t : List.of(jobsTopic, resultsTopic, failuresTopic, dlqTopic)) {
      broker.createTopic(t, partitions);
    }
    consumer.subscribe(List.of(resultsTopic, failuresTopic, dlqTopic));
    this.resultDeserializer = AvroSerdes.valueSerde(EditResult.class, serde).deserializer();
    this.failureDeserializer = AvroSerdes.valueSerde(EditFailure.class, serde).deserializer();
  }

  private final org.apache.kafka.common.serialization.Deserializer<EditResult> resultDeserializer;
  private final org.apache.kafka.common.serialization.Deserializer<EditFailure> failureDeserializer;

  /** Processor settings for this pipeline. */
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
    s.put("gemini.api.key", "it-key-0123456789");
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

  void send(EditJob job) {
    producer.send(new ProducerRecord<>(jobsTopic, job.getSku(), job));
  }

  void sendRaw(byte[] key, byte[] value) {
    rawProducer.send(new ProducerRecord<>(jobsTopic, key, value));
  }

  void flush() {
    producer.flush();
    rawProducer.flush();
  }

  /** Reads outcome topics until {@code done} holds or the timeout passes. */
  boolean readUntil(BooleanSupplier done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.topic().equals(dlqTopic)) {
          dlq.add(r);
          continue;
        }
        SpecificRecord value =
            r.topic().equals(resultsTopic)
                ? resultDeserializer.deserialize(r.topic(), r.headers(), r.value())
                : failureDeserializer.deserialize(r.topic(), r.headers(), r.value());
        String jobId = r.key();
        if (results.containsKey(jobId) || failures.containsKey(jobId)) {
          duplicateOutcomes++;
        }
        if (value instanceof EditResult result) {
          results.put(jobId, result);
        } else {
          failures.put(jobId, (EditFailure) value);
        }
      }
    }
    return done.getAsBoolean();
  }

  int outcomes() {
    return results.size() + failures.size();
  }

  static EditJob job(String id, String instruction, byte[]... images) {
    List<InputImage> inputs = new ArrayList<>();
    for (byte[] image : images) {
      inputs.add(
          InputImage.newBuilder()
              .setMimeType("image/jpeg")
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

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    rawProducer.close(Duration.ofSeconds(5));
    consumer.close(Duration.ofSeconds(5));
  }
}
