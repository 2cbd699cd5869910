package io.editstream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.registry.RegisteredSchema;
import io.editstream.registry.RegistryConfig;
import io.editstream.registry.RestSchemaRegistryClient;
import io.editstream.registry.SchemaRegistryClient;
import io.editstream.registry.SchemaRegistryException;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.serde.SerdeException.Reason;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The serde through the real schema registry and the real broker: produce, then consume. */
@ExtendWith(RealInfra.class)
class AvroSerdeRealInfraTest {

  private static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void shouldRoundTripEditJobThroughRegistryAndBroker(KafkaBroker kafka, SchemaRegistry registry) {
    assertRoundTrip(kafka, registry, EditJob.class, SampleRecords.job("job-1"));
  }

  @Test
  void shouldRoundTripEditResultThroughRegistryAndBroker(
      KafkaBroker kafka, SchemaRegistry registry) {
    assertRoundTrip(kafka, registry, EditResult.class, SampleRecords.result("job-2"));
  }

  @Test
  void shouldRoundTripEditFailureThroughRegistryAndBroker(
      KafkaBroker kafka, SchemaRegistry registry) {
    assertRoundTrip(kafka, registry, EditFailure.class, SampleRecords.failure("job-3"));
  }

  @Test
  void shouldLetKafkaBuildTheDeserializerFromItsClassName(
      KafkaBroker kafka, SchemaRegistry registry) {
    String topic = TestTopics.unique("serde-by-name");
    kafka.createTopic(topic, 1);
    EditJob job = SampleRecords.job("job-4");
    produce(kafka, topic, new AvroSerializer<>(freshClient(registry)), List.of(job));

    Map<String, Object> consumerConfig = registry.clientConfig();
    consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class);
    consumerConfig.put(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, EditJob.class.getName());
    List<ConsumerRecord<String, Object>> records = consume(kafka, topic, consumerConfig, null, 1);

    assertThat(records).extracting(ConsumerRecord::value).containsExactly(job);
  }

  @Test
  void shouldWriteWithTheLatestRegisteredVersionWithoutRegistering(
      KafkaBroker kafka, SchemaRegistry registry) {
    String topic = TestTopics.unique("serde-latest");
    kafka.createTopic(topic, 1);
    SchemaRegistryClient admin = freshClient(registry);
    Schema newer = AvroSerdeTest.withExtraField(EditJob.getClassSchema(), "region", "eu");
    admin.register(topic + "-value", EditJob.getClassSchema());
    int newerId = admin.register(topic + "-value", newer);
    Map<String, Object> settings = registry.clientConfig();
    settings.put(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false");
    settings.put(AvroSerdeConfig.USE_LATEST_VERSION, "true");
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(freshClient(registry));
    serializer.configure(settings, false);
    EditJob job = SampleRecords.job("job-5");

    produce(kafka, topic, serializer, List.of(job));
    List<ConsumerRecord<String, Object>> raw =
        consume(kafka, topic, Map.of(), new ByteArrayDeserializer(), 1);
    byte[] frame = (byte[]) raw.get(0).value();

    assertThat(ByteBuffer.wrap(frame, 1, 4).getInt()).isEqualTo(newerId);
    assertThat(freshDeserializer(registry, EditJob.class).deserialize(topic, frame)).isEqualTo(job);
    assertThat(admin.latest(topic + "-value").version()).isEqualTo(2);
  }

  @Test
  void shouldRefuseToLookUpAnUnregisteredSchemaWhenAutoRegisterIsOff(SchemaRegistry registry) {
    String topic = TestTopics.unique("serde-noreg");
    Map<String, Object> settings = registry.clientConfig();
    settings.put(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false);
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(freshClient(registry));
    serializer.configure(settings, false);

    assertThatThrownBy(() -> serializer.serialize(topic, SampleRecords.job("job-6")))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.SCHEMA_NOT_REGISTERED);
              assertThat(e.getMessage()).contains(topic);
            });
  }

  @Test
  void shouldRejectAnIncompatibleChangeUnderBackwardCompatibility(SchemaRegistry registry)
      throws Exception {
    String subject = TestTopics.unique("serde-compat") + "-value";
    SchemaRegistryClient client = freshClient(registry);
    int v1 = client.register(subject, EditJob.getClassSchema());
    setSubjectCompatibility(registry, subject, "BACKWARD");
    // A new required field without a default cannot read what v1 producers wrote.
    Schema incompatible = withRequiredField(EditJob.getClassSchema(), "region");
    Schema compatible = AvroSerdeTest.withExtraField(EditJob.getClassSchema(), "region", "eu");

    assertThatThrownBy(() -> client.register(subject, incompatible))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(SchemaRegistryException.Kind.INCOMPATIBLE);
              assertThat(e.httpStatus()).isEqualTo(409);
              assertThat(e.getMessage()).contains(subject);
            });
    int v2 = client.register(subject, compatible);

    RegisteredSchema latest = client.latest(subject);
    assertThat(v2).isNotEqualTo(v1);
    assertThat(latest.id()).isEqualTo(v2);
    assertThat(latest.version()).isEqualTo(2);
  }

  /**
   * Instances starting together register the same schema under a new subject at once. Apicurio
   * answers all but one of those first registrations 409 "artifact already exists" (error_code 409,
   * as for an incompatible schema); the schema is then registered, so each must get its id.
   */
  @Test
  void shouldGiveEveryConcurrentFirstRegistrationOfOneSchemaTheSameId(SchemaRegistry registry)
      throws Exception {
    int clients = 8;
    for (int round = 0; round < 5; round++) {
      String subject = TestTopics.unique("serde-race") + "-value";
      List<SchemaRegistryClient> fresh = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        fresh.add(freshClient(registry));
      }
      CyclicBarrier start = new CyclicBarrier(clients);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      try {
        List<Future<Integer>> ids = new ArrayList<>();
        for (SchemaRegistryClient client : fresh) {
          ids.add(
              pool.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return client.register(subject, EditJob.getClassSchema());
                  }));
        }
        Set<Integer> distinct = new HashSet<>();
        for (Future<Integer> id : ids) {
          distinct.add(id.get(30, TimeUnit.SECONDS));
        }
        assertThat(distinct).as("ids of %s", subject).hasSize(1);
        assertThat(freshClient(registry).latest(subject).id()).isIn(distinct);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void shouldReadAnOldWritersRecordFromTheBrokerWithDefaultsFilledIn(
      KafkaBroker kafka, SchemaRegistry registry) throws Exception {
    String topic = TestTopics.unique("serde-evolution");
    kafka.createTopic(topic, 1);
    Schema old = ContractEvolutionTest.resource("/evolution/EditJob-without-defaulted-fields.avsc");
    int oldId = freshClient(registry).register(topic + "-value", old);
    byte[] frame = ContractEvolutionTest.OldWriter.frame(old, oldId, "old-7");

    produce(kafka, topic, new ByteArraySerializer(), List.of(frame));
    List<ConsumerRecord<String, Object>> records =
        consume(kafka, topic, Map.of(), freshDeserializer(registry, EditJob.class), 1);

    ContractEvolutionTest.OldWriter.assertDefaultsFilled((EditJob) records.get(0).value(), "old-7");
  }

  @Test
  void shouldReportAnUnknownIdFromTheRealRegistry(SchemaRegistry registry) {
    AvroDeserializer<EditJob> deserializer = freshDeserializer(registry, EditJob.class);
    byte[] frame = {0, 0x7f, 0, 0, 1, 2};

    assertThatThrownBy(() -> deserializer.deserialize("some-topic", frame))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA_ID);
              assertThat(e.getMessage()).contains("some-topic", "schema id " + 0x7f000001);
            });
  }

  private <T extends SpecificRecord> void assertRoundTrip(
      KafkaBroker kafka, SchemaRegistry registry, Class<T> type, T record) {
    String topic = TestTopics.unique("serde-" + type.getSimpleName());
    kafka.createTopic(topic, 2);
    AvroSerializer<T> serializer = new AvroSerializer<>();
    serializer.configure(registry.clientConfig(), false);

    produce(kafka, topic, serializer, List.of(record));
    // A deserializer with its own, empty cache: it must fetch the writer schema by id.
    List<ConsumerRecord<String, Object>> records =
        consume(kafka, topic, Map.of(), freshDeserializer(registry, type), 1);

    assertThat(records).extracting(ConsumerRecord::value).containsExactly(record);
    assertThat(records.get(0).key()).isEqualTo("k-" + 0);
    RegisteredSchema registered = freshClient(registry).latest(topic + "-value");
    assertThat(registered.schema()).isEqualTo(record.getSchema());
  }

  private static <V> void produce(
      KafkaBroker kafka, String topic, Serializer<V> serializer, List<V> values) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, V> producer =
        new KafkaProducer<>(config, new StringSerializer(), serializer)) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(topic, "k-" + i, values.get(i)));
      }
      producer.flush();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<ConsumerRecord<String, Object>> consume(
      KafkaBroker kafka,
      String topic,
      Map<String, Object> extra,
      Deserializer<?> deserializer,
      int expected) {
    Map<String, Object> config = kafka.clientConfig();
    config.putAll(extra);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("serde-group"));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    List<ConsumerRecord<String, Object>> received = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        deserializer == null
            ? new KafkaConsumer<>(config)
            : new KafkaConsumer<>(config, new StringDeserializer(), (Deserializer) deserializer)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
      while (received.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(received::add);
      }
    }
    assertThat(received).as("records received from %s", topic).hasSize(expected);
    return received;
  }

  private static SchemaRegistryClient freshClient(SchemaRegistry registry) {
    return new RestSchemaRegistryClient(RegistryConfig.fromConfigs(registry.clientConfig()));
  }

  private static <T extends SpecificRecord> AvroDeserializer<T> freshDeserializer(
      SchemaRegistry registry, Class<T> type) {
    return new AvroDeserializer<>(type, freshClient(registry));
  }

  private static void setSubjectCompatibility(SchemaRegistry registry, String subject, String level)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    registry.url()
                        + "/config/"
                        + URLEncoder.encode(subject, StandardCharsets.UTF_8)))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}"));
    RegistryConfig.fromConfigs(registry.clientConfig())
        .authorization()
        .ifPresent(value -> request.header("Authorization", value));
    HttpResponse<String> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode())
        .as("PUT /config/%s: %s", subject, response.body())
        .isEqualTo(200);
  }

  private static Schema withRequiredField(Schema schema, String name) {
    var fields = new ArrayList<Schema.Field>();
    for (Schema.Field f : schema.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(new Schema.Field(name, Schema.create(Schema.Type.STRING), "added without default"));
    Schema copy =
        Schema.createRecord(
            schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    return new Schema.Parser().parse(copy.toString());
  }
}
