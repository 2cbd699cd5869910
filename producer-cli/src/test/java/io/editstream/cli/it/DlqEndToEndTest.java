package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.editstream.cli.CliRunner;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Records;
import io.editstream.cli.TestImages;
import io.editstream.cli.dlq.DeadLetter;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.registry.RegistryConfig;
import io.editstream.registry.RestSchemaRegistryClient;
import io.editstream.registry.SchemaRegistryClient;
import io.editstream.schema.EditJob;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code editstream dlq} against the real broker, registry and a running processor: a job written
 * with a schema id the registry does not know yet is dead-lettered; once the schema is registered
 * (the producer's fix), {@code dlq --replay} re-publishes it and it gets exactly one outcome; a
 * second run, and a run after an interrupted one, publish nothing twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DlqEndToEndTest {
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final String prefix = TestTopics.unique("dlq") + ".";
  private final String jobs = prefix + "edit-jobs";
  private final String dlq = prefix + "edit-jobs-dlq";
  private Emulator emulator;
  private EditstreamProcessor processor;
  private SchemaRegistryClient schemas;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    for (String t : List.of("edit-jobs", "edit-results", "edit-failures")) {
      broker.createTopic(prefix + t, 2);
    }
    // One partition: the DLQ's offsets alone name its records, in the order they were sent.
    broker.createTopic(dlq, 1);
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey("dlq-key-0123456789")
                .withLatencyMeanMs(5)
                .withSeed(3));
    Map<String, String> s =
        ProcessorSettings.of(broker, registry, emulator, "dlq-key-0123456789", prefix, dir);
    processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)));
    assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
    schemas = new RestSchemaRegistryClient(RegistryConfig.fromConfigs(registry.clientConfig()));
  }

  @AfterAll
  void stop() {
    if (processor != null) {
      processor.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void shouldReplayAFixedPoisonPillToExactlyOneOutcomeAndNeverTwice() throws Exception {
    // The producer's bug: it writes with a new schema version it has not registered yet. The
    // registry hands out ids in sequence, so the next id is the one after a probe's.
    Schema evolved = evolvedEditJobSchema();
    int probe =
        schemas.register(
            prefix + "probe-value",
            new Schema.Parser()
                .parse(
                    "{\"type\":\"record\",\"name\":\"Probe"
                        + Math.abs(prefix.hashCode())
                        + "\",\"fields\":[]}"));
    int unregisteredId = probe + 1;
    EditJob job = job("dlq-pill-1");
    byte[] pill = frame(unregisteredId, job);
    send(0, "dlq-pill-1", pill);
    send(0, "junk-1", "not avro at all".getBytes(StandardCharsets.UTF_8));
    send(0, "junk-2", "neither is this".getBytes(StandardCharsets.UTF_8));
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                readAll(dlq).stream()
                        .map(r -> new String(r.key(), StandardCharsets.UTF_8))
                        .filter(k -> List.of("dlq-pill-1", "junk-1", "junk-2").contains(k))
                        .count()
                    == 3);
    String pillAt = firstOffsetOf("dlq-pill-1");
    String junkAt = firstOffsetOf("junk-1");

    CliRunner.Result list = cli("dlq");
    assertThat(list.exitCode()).as(list.toString()).isZero();
    assertThat(list.out())
        .as(list.toString())
        .containsPattern(dlq + ": \\d+ records\\.")
        .containsPattern("0:" + pillAt + " .* dlq-pill-1 .* dead .*UNKNOWN_SCHEMA_ID")
        .containsPattern("0:" + junkAt + " .* junk-1 .* dead .*WRONG_MAGIC_BYTE")
        .contains(jobs + "-0@0");

    CliRunner.Result filtered = cli("dlq", "--reason", "unknown_schema_id");
    assertThat(filtered.out()).containsPattern("records, 1 selected").doesNotContain("junk-1");

    // An earlier run died mid-transaction after sending the pill: that send must not count.
    interruptedRun(pill, dlq + ":0:" + pillAt);

    // The producer's fix: the schema gets registered, under the id the pill carries.
    int registered = schemas.register(prefix + "fix-value", evolved);
    assertThat(registered)
        .as("the registry gave the next id in sequence (the test's assumption)")
        .isEqualTo(unregisteredId);

    CliRunner.Result dry = cli("dlq", "--replay", "--reason", "UNKNOWN_SCHEMA_ID", "--dry-run");
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("would re-publish 1 record");

    CliRunner.Result replay = cli("dlq", "--replay", "--reason", "UNKNOWN_SCHEMA_ID");
    assertThat(replay.exitCode()).as(replay.toString()).isZero();
    assertThat(replay.out()).contains("Re-published 1 record from " + dlq + " to " + jobs);

    Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> outcomesOf("dlq-pill-1") >= 1);

    CliRunner.Result again = cli("dlq", "--replay", "--reason", "UNKNOWN_SCHEMA_ID");
    assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(again.out())
        .contains("Re-published 0 records")
        .contains("1 selected record(s) were re-published before");

    List<ConsumerRecord<byte[], byte[]>> republished = republished(dlq + ":0:" + pillAt);
    assertThat(republished).hasSize(1);
    ConsumerRecord<byte[], byte[]> r = republished.get(0);
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("dlq-pill-1");
    assertThat(r.value()).isEqualTo(pill);
    assertThat(r.headers())
        .noneMatch(h -> h.key().startsWith(DeadLetter.HEADER_PREFIX))
        .anyMatch(h -> h.key().equals("trace-id"));
    assertThat(outcomesOf("dlq-pill-1")).isEqualTo(1);
    assertThat(cli("dlq", "--offset", pillAt).out())
        .containsPattern("0:" + pillAt + " .* re-published ");
  }

  @Test
  void shouldResumeAReplayStoppedByLimitWithoutRepublishingTwice() throws Exception {
    send(1, "limit-1", "garbage one".getBytes(StandardCharsets.UTF_8));
    send(1, "limit-2", "garbage two".getBytes(StandardCharsets.UTF_8));
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                readAll(dlq).stream()
                        .filter(
                            r -> new String(r.key(), StandardCharsets.UTF_8).startsWith("limit-"))
                        .count()
                    == 2);
    String a = firstOffsetOf("limit-1");
    String b = firstOffsetOf("limit-2");

    CliRunner.Result first = cli("dlq", "--replay", "--offset", a, "--offset", b, "--limit", "1");
    CliRunner.Result second = cli("dlq", "--replay", "--offset", a, "--offset", b);
    CliRunner.Result third = cli("dlq", "--replay", "--offset", a, "--offset", b);

    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.out()).contains("Re-published 1 record").contains("1 selected record(s) left");
    assertThat(second.exitCode()).as(second.toString()).isZero();
    assertThat(second.out())
        .contains("Re-published 1 record")
        .contains("1 selected record(s) were re-published before");
    assertThat(third.exitCode()).as(third.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(third.out()).contains("Re-published 0 records");
    assertThat(republished(dlq + ":0:" + a)).hasSize(1);
    assertThat(republished(dlq + ":0:" + b)).hasSize(1);
  }

  @Test
  void shouldRefuseAReplayWithoutASelection() {
    CliRunner.Result r = cli("dlq", "--replay");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("--replay needs a selection").contains("--all");
  }

  // --- helpers

  private CliRunner.Result cli(String command, String... args) {
    return CliRunner.run(broker, registry, prefix, command, args);
  }

  private static EditJob job(String id) throws Exception {
    return EditJob.newBuilder(Records.job(id, "SKU-DLQ", Map.of()))
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/jpeg")
                    .setData(ByteBuffer.wrap(TestImages.bytes(TestImages.JPEG)))
                    .build()))
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_512)
                .build())
        .build();
  }

  /** EditJob with one more optional field at the end: a compatible next version. */
  private static Schema evolvedEditJobSchema() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode schema = (ObjectNode) json.readTree(EditJob.getClassSchema().toString());
    ObjectNode field = json.createObjectNode();
    field.put("name", "dlqTestNote");
    field.set("type", json.createArrayNode().add("null").add("string"));
    field.putNull("default");
    ((ArrayNode) schema.get("fields")).add(field);
    return new Schema.Parser().parse(schema.toString());
  }

  /** The Confluent frame of {@code job} written with the evolved schema (note = null). */
  private static byte[] frame(int schemaId, EditJob job) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<EditJob>(EditJob.getClassSchema()).write(job, encoder);
    encoder.writeIndex(0); // the new field's union branch: null
    encoder.flush();
    return out.toByteArray();
  }

  private void send(int partition, String key, byte[] value) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = producer(Map.of())) {
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(jobs, partition, key.getBytes(StandardCharsets.UTF_8), value);
      r.headers().add("trace-id", "t-1".getBytes(StandardCharsets.UTF_8));
      p.send(r).get();
    }
  }

  /** What a run killed before its commit leaves: an open transaction holding the pill. */
  private void interruptedRun(byte[] pill, String marker) throws Exception {
    KafkaProducer<byte[], byte[]> p =
        producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "editstream-dlq-" + dlq));
    p.initTransactions();
    p.beginTransaction();
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(jobs, "dlq-pill-1".getBytes(StandardCharsets.UTF_8), pill);
    r.headers().add(DeadLetter.REPUBLISHED_FROM, marker.getBytes(StandardCharsets.UTF_8));
    p.send(r).get();
    // No commit, no abort: the process is gone. (close() would not commit either.)
    p.close(Duration.ZERO);
  }

  private KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.putAll(extra);
    return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private long outcomesOf(String jobId) {
    long n = 0;
    for (String t : List.of(prefix + "edit-results", prefix + "edit-failures")) {
      n +=
          readAll(t).stream()
              .filter(r -> jobId.equals(new String(r.key(), StandardCharsets.UTF_8)))
              .count();
    }
    return n;
  }

  private List<ConsumerRecord<byte[], byte[]>> republished(String marker) {
    return readAll(jobs).stream()
        .filter(
            r -> {
              var h = r.headers().lastHeader(DeadLetter.REPUBLISHED_FROM);
              return h != null && marker.equals(new String(h.value(), StandardCharsets.UTF_8));
            })
        .toList();
  }

  private String firstOffsetOf(String key) {
    return readAll(dlq).stream()
        .filter(r -> key.equals(new String(r.key(), StandardCharsets.UTF_8)))
        .findFirst()
        .map(r -> Long.toString(r.offset()))
        .orElseThrow();
  }

  private List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))
          && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
