package io.editstream.bench;

import io.editstream.schema.EditJob;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.editstream.serde.AvroSerdes;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The real parts a benchmark runs on: the broker and the registry from the test kit (an in-JVM
 * KRaft broker and an Apicurio process unless {@code KAFKA_BOOTSTRAP_SERVERS} / {@code
 * SCHEMA_REGISTRY_URL} point elsewhere), unique topic names, processor settings and a job producer.
 */
public final class BenchEnv {
  public static final String API_KEY = "bench-key-0123456789";
  static final String APICURIO_HOME = "editstream.apicurio.home";
  static final String S3PROXY_JAR = "editstream.s3proxy.jar";

  public final KafkaBroker broker;
  public final SchemaRegistry registry;
  public final Path work;

  private BenchEnv(KafkaBroker broker, SchemaRegistry registry, Path work) {
    this.broker = broker;
    this.registry = registry;
    this.work = work;
  }

  /** Starts (or connects to) the broker and the registry. */
  public static BenchEnv start() throws IOException {
    trustAvroPackages();
    locateApicurio();
    locateS3Proxy();
    Path work = Files.createTempDirectory("editstream-bench-");
    return new BenchEnv(KafkaBroker.shared(), SchemaRegistry.shared(), work);
  }

  static void trustAvroPackages() {
    if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
      System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.editstream");
    }
  }

  /** The build unpacks Apicurio under the repository's target/infra; find it from here. */
  static void locateApicurio() {
    if (System.getProperty(APICURIO_HOME) != null || System.getenv(APICURIO_HOME) != null) {
      return;
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path home = dir.resolve("target/infra/apicurio-registry-2.6.13.Final");
      if (Files.isDirectory(home)) {
        System.setProperty(APICURIO_HOME, home.toString());
        return;
      }
      dir = dir.getParent();
    }
  }

  /** The build copies S3Proxy to the repository's target/infra; find it from here. */
  static void locateS3Proxy() {
    if (System.getProperty(S3PROXY_JAR) != null || System.getenv(S3PROXY_JAR) != null) {
      return;
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path jar = dir.resolve("target/infra/s3proxy-2.6.0-jar-with-dependencies.jar");
      if (Files.isRegularFile(jar)) {
        System.setProperty(S3PROXY_JAR, jar.toString());
        return;
      }
      dir = dir.getParent();
    }
  }

  /** A fresh topic prefix: every run gets its own topics and application id. */
  public String newPrefix(String name) {
    return TestTopics.unique("bench-" + name) + ".";
  }

  /** Processor settings for topics under {@code prefix}, calling the emulator at {@code url}. */
  public Map<String, String> processorSettings(String prefix, String emulatorUrl) {
    Map<String, String> s = new HashMap<>();
    s.putAll(broker.settings("kafka."));
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", API_KEY);
    s.put("gemini.base.url", emulatorUrl);
    s.put("topic.prefix", prefix);
    s.put("application.id", prefix + "processor");
    s.put("state.dir", work.resolve(prefix + "state").toString());
    s.put("blob.dir", work.resolve("blobs").toString());
    s.put("http.port", "-1");
    // A restart in a benchmark should not wait 45 s for the old member's session to expire.
    s.put("kafka.session.timeout.ms", "6000");
    s.put("kafka.heartbeat.interval.ms", "1000");
    return s;
  }

  /** An idempotent producer of {@link EditJob}s in the registry's wire format. */
  public KafkaProducer<String, EditJob> jobProducer() {
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    return new KafkaProducer<>(
        p,
        new StringSerializer(),
        AvroSerdes.valueSerde(EditJob.class, new HashMap<>(registry.clientConfig())).serializer());
  }

  /** A one-image, 512 px PNG edit job of tenant {@code tenant}. */
  public static EditJob job(String id, String tenant, String instruction, byte[] image) {
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant(tenant)
        .setSku("SKU-" + id)
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setData(ByteBuffer.wrap(image))
                    .build()))
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

  /** Best effort: the temporary blobs and state. */
  public void deleteWork() {
    try (var files = Files.walk(work)) {
      files
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // leftovers in the temp directory are harmless
                }
              });
    } catch (IOException e) {
      // same
    }
  }
}
