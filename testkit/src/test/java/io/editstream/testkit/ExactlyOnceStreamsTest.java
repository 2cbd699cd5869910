package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Kafka Streams with exactly_once_v2 (transactions, internal topics) on the shared broker. */
@ExtendWith(RealInfra.class)
class ExactlyOnceStreamsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void statefulExactlyOnceAppCommitsItsOutput(KafkaBroker kafka, @TempDir Path stateDir)
      throws Exception {
    String input = TestTopics.unique("eos-in");
    String output = TestTopics.unique("eos-out");
    kafka.createTopic(input, 2);
    kafka.createTopic(output, 2);

    StreamsBuilder builder = new StreamsBuilder();
    // A count needs a state store, a changelog topic and a repartition-free commit: the parts of
    // exactly-once that depend on the broker's transaction and internal-topic settings.
    builder.<String, String>stream(input)
        .groupByKey()
        .count()
        .toStream()
        .mapValues(String::valueOf)
        .to(output, Produced.with(Serdes.String(), Serdes.String()));

    Properties config = new Properties();
    config.putAll(kafka.clientConfig());
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, TestTopics.unique("eos-app"));
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // No record cache, so every count update is forwarded rather than only the latest per key.
    config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);

    try (KafkaStreams streams = new KafkaStreams(builder.build(), config)) {
      streams.start();
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              kafka.clientConfig(), new StringSerializer(), new StringSerializer())) {
        for (String key : List.of("a", "b", "a")) {
          producer.send(new ProducerRecord<>(input, key, "x")).get();
        }
      }
      List<String> counts = readCommitted(kafka, output, 3);
      assertThat(counts).containsExactlyInAnyOrder("a=1", "b=1", "a=2");
      streams.close(Duration.ofSeconds(10));
    }
  }

  private static List<String> readCommitted(KafkaBroker kafka, String topic, int count) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, TestTopics.unique("eos-reader"));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (seen.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.key() + "=" + r.value()));
      }
    }
    return seen;
  }
}
