package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealInfra.class)
class KafkaBrokerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaBroker kafka;

  KafkaBrokerTest(KafkaBroker kafka) {
    this.kafka = kafka;
  }

  @Test
  void sharedBrokerIsOnePerJvm() {
    assertThat(KafkaBroker.shared()).isSameAs(kafka);
    assertThat(kafka.bootstrapServers()).isNotBlank();
    assertThat(kafka.description()).isNotBlank();
  }

  @Test
  void clientConfigIsAFreshMutableCopy() {
    Map<String, Object> config = kafka.clientConfig();
    config.put("client.id", "mine");
    assertThat(kafka.clientConfig())
        .containsEntry("bootstrap.servers", kafka.bootstrapServers())
        .doesNotContainKey("client.id");
  }

  @Test
  void settingsCarryEveryClientSettingUnderThePrefix() {
    Map<String, String> settings = kafka.settings("kafka.");
    assertThat(settings).containsEntry("kafka.bootstrap.servers", kafka.bootstrapServers());
    kafka
        .clientConfig()
        .forEach((k, v) -> assertThat(settings).containsEntry("kafka." + k, String.valueOf(v)));
    assertThat(settings.keySet()).allMatch(k -> k.startsWith("kafka."));
  }

  @Test
  void producedRecordIsConsumed() {
    String topic = TestTopics.unique("plain");
    kafka.createTopic(topic, 3);
    try (KafkaProducer<String, String> producer = producer(Map.of())) {
      producer.send(new ProducerRecord<>(topic, "job-1", "hello")).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    List<ConsumerRecord<String, String>> records =
        consumeAtLeast(topic, 1, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"));
    assertThat(records).extracting(ConsumerRecord::key).containsExactly("job-1");
    assertThat(records).extracting(ConsumerRecord::value).containsExactly("hello");
  }

  @Test
  void readCommittedConsumerSeesCommittedTransactionOnly() throws Exception {
    String topic = TestTopics.unique("tx");
    kafka.createTopic(topic, 1);
    try (KafkaProducer<String, String> producer =
        producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TestTopics.unique("tx-id")))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "aborted")).get();
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "committed")).get();
      producer.commitTransaction();
    }
    List<ConsumerRecord<String, String>> records =
        consumeAtLeast(topic, 1, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    assertThat(records).extracting(ConsumerRecord::value).containsExactly("committed");
  }

  @Test
  void createTopicAppliesConfigsAndRejectsAnotherPartitionCount() throws Exception {
    String topic = TestTopics.unique("configured");
    kafka.createTopic(topic, 2, Map.of("cleanup.policy", "compact"));
    kafka.createTopic(topic, 2); // same shape: accepted
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigEntry policy =
          admin.describeConfigs(List.of(resource)).all().get().get(resource).get("cleanup.policy");
      assertThat(policy.value()).isEqualTo("compact");
    }
    assertThatThrownBy(() -> kafka.createTopic(topic, 4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topic)
        .hasMessageContaining("2 partitions");
    assertThatThrownBy(() -> kafka.createTopic(TestTopics.unique("none"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partitions");
  }

  private KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> config = kafka.clientConfig();
    config.putAll(extra);
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  private List<ConsumerRecord<String, String>> consumeAtLeast(
      String topic, int count, Map<String, Object> extra) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("group"));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(extra);
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (records.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      // One more poll: a record beyond the expected ones (e.g. an aborted one) must show up here.
      consumer.poll(Duration.ofMillis(500)).forEach(records::add);
    }
    assertThat(records).as("records on %s", topic).hasSizeGreaterThanOrEqualTo(count);
    return records;
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
