package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealInfra.class)
class BrokerRestartTest {

  @Test
  void restartKeepsDataAndPortAndClientsCarryOn(KafkaBroker kafka) throws Exception {
    assumeTrue(kafka.supportsRestart(), "only the in-JVM broker restarts");
    String topic = TestTopics.unique("restart");
    kafka.createTopic(topic, 1);
    String before = kafka.bootstrapServers();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(kafka.clientConfig(), new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "k", "before")).get();

      kafka.restart();

      // The same producer reconnects to the same address.
      producer.send(new ProducerRecord<>(topic, "k", "after")).get();
    }
    assertThat(kafka.bootstrapServers()).isEqualTo(before);
    assertThat(consumeValues(kafka, topic, 2)).containsExactly("before", "after");
  }

  private static List<String> consumeValues(KafkaBroker kafka, String topic, int count) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("restart-group"));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
    }
    return values;
  }
}
