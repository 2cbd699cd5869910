package io.editstream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.registry.InMemorySchemaRegistryClient;
import io.editstream.registry.RegisteredSchema;
import io.editstream.registry.SchemaRegistryClient;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.serde.SerdeException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private static final String TOPIC = "edit-jobs";

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

  @Test
  void shouldWriteMagicByteBigEndianIdAndPlainAvroBody() throws Exception {
    int id = 0x01020304;
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(fixedIdRegistry(id));
    EditJob job = SampleRecords.job("j-1");

    byte[] frame = serializer.serialize(TOPIC, job);

    assertThat(frame[0]).isEqualTo((byte) 0x00);
    assertThat(Arrays.copyOfRange(frame, 1, 5)).containsExactly(0x01, 0x02, 0x03, 0x04);
    assertThat(Arrays.copyOfRange(frame, 5, frame.length)).isEqualTo(avroBinary(job));
  }

  @Test
  void shouldRegisterUnderTopicValueAndTopicKeySubjects() {
    EditJob job = SampleRecords.job("j-1");
    AvroSerializer<EditJob> values = new AvroSerializer<>(registry);
    AvroSerializer<EditJob> keys = new AvroSerializer<>(registry);
    keys.configure(Map.of(), true);

    int valueId = ByteBuffer.wrap(values.serialize(TOPIC, job), 1, 4).getInt();
    int keyId = ByteBuffer.wrap(keys.serialize(TOPIC, job), 1, 4).getInt();

    assertThat(registry.lookup(TOPIC + "-value", EditJob.getClassSchema())).isEqualTo(valueId);
    assertThat(registry.lookup(TOPIC + "-key", EditJob.getClassSchema())).isEqualTo(keyId);
  }

  @Test
  void shouldRoundTripEveryContractRecordWithAllFields() {
    assertRoundTrip(EditJob.class, SampleRecords.job("j-1"));
    assertRoundTrip(EditResult.class, SampleRecords.result("j-1"));
    assertRoundTrip(EditFailure.class, SampleRecords.failure("j-1"));
  }

  @Test
  void shouldBeSafeToShareOneSerdeAcrossThreads() throws Exception {
    Serde<EditJob> serde = AvroSerdes.serde(EditJob.class, registry, Map.of(), false);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      var tasks = new java.util.ArrayList<java.util.concurrent.Callable<Boolean>>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        tasks.add(
            () -> {
              for (int i = 0; i < 200; i++) {
                EditJob job = SampleRecords.job("t" + thread + "-" + i);
                if (!job.equals(
                    serde
                        .deserializer()
                        .deserialize(TOPIC, serde.serializer().serialize(TOPIC, job)))) {
                  return false;
                }
              }
              return true;
            });
      }
      for (var result : pool.invokeAll(tasks)) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldMapNullToNullBothWays() {
    Serde<EditJob> serde = AvroSerdes.serde(EditJob.class, registry, Map.of(), false);

    assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
    assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
    assertThat(serde.deserializer().deserialize(TOPIC, null, (ByteBuffer) null)).isNull();
  }

  @Test
  void shouldReadFromAByteBufferSliceInsideALargerArray() {
    Serde<EditJob> serde = AvroSerdes.serde(EditJob.class, registry, Map.of(), false);
    EditJob job = SampleRecords.job("j-2");
    byte[] frame = serde.serializer().serialize(TOPIC, job);
    byte[] padded = new byte[frame.length + 20];
    System.arraycopy(frame, 0, padded, 7, frame.length);

    EditJob read =
        serde.deserializer().deserialize(TOPIC, null, ByteBuffer.wrap(padded, 7, frame.length));

    assertThat(read).isEqualTo(job);
  }

  @Test
  void shouldOnlyLookUpWhenAutoRegisterIsOff() {
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(registry);
    serializer.configure(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);

    assertThatThrownBy(() -> serializer.serialize(TOPIC, SampleRecords.job("j-1")))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.SCHEMA_NOT_REGISTERED);
              assertThat(e.isSerializing()).isTrue();
              assertThat(e.getMessage()).contains("topic 'edit-jobs'", "SCHEMA_NOT_REGISTERED");
            });

    int id = registry.register(TOPIC + "-value", EditJob.getClassSchema());
    assertThat(
            ByteBuffer.wrap(serializer.serialize(TOPIC, SampleRecords.job("j-1")), 1, 4).getInt())
        .isEqualTo(id);
  }

  @Test
  void shouldWriteWithTheLatestVersionWhenConfigured() throws Exception {
    // The subject's latest version has a field the record's class does not know yet.
    Schema latest = withExtraField(EditJob.getClassSchema(), "region", "eu");
    registry.register(TOPIC + "-value", EditJob.getClassSchema());
    int latestId = registry.register(TOPIC + "-value", latest);
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(registry);
    serializer.configure(
        Map.of(
            AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false, AvroSerdeConfig.USE_LATEST_VERSION, true),
        false);
    EditJob job = SampleRecords.job("j-3");

    byte[] frame = serializer.serialize(TOPIC, job);

    assertThat(ByteBuffer.wrap(frame, 1, 4).getInt()).isEqualTo(latestId);
    GenericRecord written =
        new GenericDatumReader<GenericRecord>(latest)
            .read(null, DecoderFactory.get().binaryDecoder(frame, 5, frame.length - 5, null));
    assertThat(written.get("region")).hasToString("eu");
    assertThat(written.get("jobId")).hasToString("j-3");
    // And our own deserializer reads it back as the class, ignoring the unknown field.
    assertThat(new AvroDeserializer<>(EditJob.class, registry).deserialize(TOPIC, frame))
        .isEqualTo(job);
  }

  @Test
  void shouldRefuseLatestVersionThatCannotReadTheRecord() {
    Schema unrelated =
        SchemaBuilder.record("EditJob")
            .namespace("io.editstream.schema")
            .fields()
            .requiredString("somethingElse")
            .endRecord();
    registry.register(TOPIC + "-value", unrelated);
    AvroSerializer<EditJob> serializer = new AvroSerializer<>(registry);
    serializer.configure(Map.of(AvroSerdeConfig.USE_LATEST_VERSION, "true"), false);

    assertThatThrownBy(() -> serializer.serialize(TOPIC, SampleRecords.job("j-1")))
        .isInstanceOfSatisfying(
            SerdeException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INCOMPATIBLE));
  }

  @Test
  void shouldNameTopicAndReasonForAWrongMagicByte() {
    AvroDeserializer<EditJob> deserializer = new AvroDeserializer<>(EditJob.class, registry);

    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {1, 0, 0, 0, 1, 2}))
        .isInstanceOf(SerializationException.class)
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.WRONG_MAGIC_BYTE);
              assertThat(e.topic()).isEqualTo(TOPIC);
              assertThat(e.isKey()).isFalse();
              assertThat(e.getMessage())
                  .contains("value of topic 'edit-jobs'", "WRONG_MAGIC_BYTE", "0x01");
            });
  }

  @Test
  void shouldNameTopicForAFrameShorterThanItsHeader() {
    AvroDeserializer<EditJob> deserializer = new AvroDeserializer<>(EditJob.class, registry);

    for (byte[] bytes : new byte[][] {{}, {0}, {0, 0, 0, 1}}) {
      assertThatThrownBy(() -> deserializer.deserialize(TOPIC, bytes))
          .isInstanceOfSatisfying(
              SerdeException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
                assertThat(e.schemaId()).isEmpty();
                assertThat(e.getMessage()).contains("topic 'edit-jobs'", "TRUNCATED");
              });
    }
  }

  @Test
  void shouldNameTopicAndIdForATruncatedBody() {
    Serde<EditJob> serde = AvroSerdes.serde(EditJob.class, registry, Map.of(), false);
    byte[] frame = serde.serializer().serialize(TOPIC, SampleRecords.job("j-1"));
    int id = ByteBuffer.wrap(frame, 1, 4).getInt();

    for (int cut : new int[] {1, frame.length / 2, frame.length - 6}) {
      byte[] truncated = Arrays.copyOf(frame, frame.length - cut);
      assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, truncated))
          .isInstanceOfSatisfying(
              SerdeException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
                assertThat(e.schemaId()).hasValue(id);
                assertThat(e.getMessage()).contains("topic 'edit-jobs'", "schema id " + id);
              });
    }
  }

  @Test
  void shouldRefuseBytesLeftOverAfterTheRecord() {
    Serde<EditJob> serde = AvroSerdes.serde(EditJob.class, registry, Map.of(), false);
    byte[] frame = serde.serializer().serialize(TOPIC, SampleRecords.job("j-1"));
    byte[] longer = Arrays.copyOf(frame, frame.length + 3);

    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, longer))
        .isInstanceOfSatisfying(
            SerdeException.class, e -> assertThat(e.reason()).isEqualTo(Reason.READ_FAILED));
  }

  @Test
  void shouldNameTopicAndIdForAnUnknownSchemaId() {
    AvroDeserializer<EditJob> deserializer = new AvroDeserializer<>(EditJob.class, registry);

    assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0x7f, 0x10, 2}))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA_ID);
              assertThat(e.schemaId()).hasValue(0x7f10);
              assertThat(e.getMessage())
                  .contains("topic 'edit-jobs'", "schema id 32528", "UNKNOWN_SCHEMA_ID");
            });
  }

  @Test
  void shouldReportRegistryDownWithTopicAndIdButNoCredentials() throws Exception {
    String secret = "pa55-w0rd-xyz";
    int port;
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Map<String, Object> configs =
        Map.of(
            AvroSerdeConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + port,
            AvroSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
            AvroSerdeConfig.BASIC_AUTH_USER_INFO, "key:" + secret);
    Serde<EditJob> serde = AvroSerdes.valueSerde(EditJob.class, configs);

    assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, new byte[] {0, 0, 0, 1, 0, 2}))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE);
              assertThat(e.schemaId()).hasValue(256);
              assertThat(e.getMessage())
                  .contains("topic 'edit-jobs'", "schema id 256", "REGISTRY_UNAVAILABLE")
                  .doesNotContain(secret);
            });
    assertThatThrownBy(() -> serde.serializer().serialize(TOPIC, SampleRecords.job("j-1")))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.REGISTRY_UNAVAILABLE);
              assertThat(e.getMessage()).contains("topic 'edit-jobs'").doesNotContain(secret);
            });
  }

  @Test
  void shouldRefuseAWriterSchemaTheClassCannotRead() {
    Schema other =
        SchemaBuilder.record("EditJob")
            .namespace("io.editstream.schema")
            .fields()
            .requiredInt("jobId")
            .endRecord();
    int id = registry.register("other", other);
    byte[] frame = {0, 0, 0, 0, (byte) id, 2};

    assertThatThrownBy(
            () -> new AvroDeserializer<>(EditJob.class, registry).deserialize(TOPIC, frame))
        .isInstanceOfSatisfying(
            SerdeException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INCOMPATIBLE);
              assertThat(e.getMessage()).contains("schema id " + id, "EditJob");
            });
  }

  @Test
  void shouldAddPartitionAndOffsetWhenTheHandlerKnowsThem() {
    AvroDeserializer<EditJob> deserializer = new AvroDeserializer<>(EditJob.class, registry);
    RuntimeException thrown =
        org.junit.jupiter.api.Assertions.assertThrows(
            RuntimeException.class,
            () -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 0, 0, 9, 0}));
    RuntimeException wrapped = new RuntimeException("handler saw", thrown);

    SerdeException located = SerdeException.locate(wrapped, 3, 42L).orElseThrow();

    assertThat(located.partition()).hasValue(3);
    assertThat(located.offset()).hasValue(42L);
    assertThat(located.schemaId()).hasValue(9);
    assertThat(located.reason()).isEqualTo(Reason.UNKNOWN_SCHEMA_ID);
    assertThat(located.getMessage())
        .startsWith(
            "Cannot deserialize value of topic 'edit-jobs' partition 3 offset 42 (schema id 9)");
    assertThat(SerdeException.locate(new IllegalStateException("other"), 3, 42L)).isEmpty();
  }

  @Test
  void shouldBeConfigurableByClassNameLikeKafkaDoes() {
    String scope = "avro-serde-test-" + System.nanoTime();
    Map<String, Object> configs =
        Map.of(
            AvroSerdeConfig.SCHEMA_REGISTRY_URL,
            "mock://" + scope,
            AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE,
            EditResult.class.getName());
    try (AvroSerializer<EditResult> serializer = new AvroSerializer<>();
        Deserializer<EditResult> deserializer = new AvroDeserializer<>()) {
      serializer.configure(configs, false);
      deserializer.configure(configs, false);
      EditResult result = SampleRecords.result("j-9");

      assertThat(deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, result)))
          .isEqualTo(result);
    } finally {
      InMemorySchemaRegistryClient.dropScope(scope);
    }
  }

  @Test
  void shouldRejectBadSettingsNamingTheSetting() {
    assertThatThrownBy(
            () ->
                new AvroSerializer<>(registry)
                    .configure(Map.of("auto.register.schemas", "yes"), false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auto.register.schemas")
        .hasMessageContaining("true, false");
    assertThatThrownBy(
            () ->
                new AvroDeserializer<>()
                    .configure(Map.of("schema.registry.url", "mock://x"), false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("specific.avro.value.type");
    assertThatThrownBy(
            () -> new AvroSerializer<>().configure(Map.of("auto.register.schemas", "true"), false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema.registry.url");
  }

  @Test
  void shouldTrustTheReaderClassesWithAvrosClassValidator() {
    new AvroDeserializer<>(EditFailure.class, registry);

    // EditFailure embeds EditJob, so its nested types are trusted too.
    assertThat(AvroClassTrust.isTrusted("io.editstream.schema.EditFailure")).isTrue();
    assertThat(AvroClassTrust.isTrusted("io.editstream.schema.InputImage")).isTrue();
    assertThat(AvroClassTrust.isTrusted("io.editstream.schema.FailureCode")).isTrue();
    assertThat(AvroClassTrust.isTrusted("java.io.File")).isFalse();
    assertThat(
            org.apache.avro.util.ClassSecurityValidator.getGlobal()
                .isTrusted(io.editstream.schema.ImageSize.class))
        .isTrue();
  }

  private <T extends SpecificRecord> void assertRoundTrip(Class<T> type, T record) {
    Serde<T> serde = AvroSerdes.serde(type, registry, Map.of(), false);
    byte[] frame = serde.serializer().serialize("round-trip", record);
    T read = serde.deserializer().deserialize("round-trip", frame);
    assertThat(read).isEqualTo(record);
    assertThat(read).isNotSameAs(record);
  }

  static byte[] avroBinary(SpecificRecord record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<SpecificRecord>(
            record.getSchema(), SpecificData.getForClass(record.getClass()))
        .write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  static Schema withExtraField(Schema schema, String name, String defaultValue) {
    var fields = new java.util.ArrayList<Schema.Field>();
    for (Schema.Field f : schema.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(name, Schema.create(Schema.Type.STRING), "added later", defaultValue));
    Schema copy =
        Schema.createRecord(
            schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    return new Schema.Parser().parse(copy.toString());
  }

  private static SchemaRegistryClient fixedIdRegistry(int id) {
    return new SchemaRegistryClient() {
      @Override
      public int register(String subject, Schema schema) {
        return id;
      }

      @Override
      public int lookup(String subject, Schema schema) {
        return id;
      }

      @Override
      public Schema schemaById(int requested) {
        return EditJob.getClassSchema();
      }

      @Override
      public RegisteredSchema latest(String subject) {
        return new RegisteredSchema(subject, id, 1, EditJob.getClassSchema());
      }
    };
  }
}
