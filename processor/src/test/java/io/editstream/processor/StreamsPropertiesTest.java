package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.config.ConfigException;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsPropertiesTest {

  private static Map<String, String> minimal() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    return m;
  }

  private static Properties streams(Map<String, String> settings) {
    return EditstreamProcessor.streamsProperties(ProcessorConfig.from(Settings.of(settings)));
  }

  @Test
  void shouldBoundStreamsInputBufferBelowKafkasDefault() {
    Properties p = streams(minimal());

    assertThat(p.get(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG))
        .isEqualTo(EditstreamProcessor.BUFFERED_RECORDS_PER_PARTITION);
    assertThat(EditstreamProcessor.BUFFERED_RECORDS_PER_PARTITION).isLessThan(1000);
    // Streams must accept the value as it is given.
    assertThat(
            new StreamsConfig(withRequired(p))
                .getInt(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG))
        .isEqualTo(EditstreamProcessor.BUFFERED_RECORDS_PER_PARTITION);
  }

  @Test
  void shouldLetAKafkaSettingOverrideTheInputBuffer() {
    Map<String, String> m = minimal();
    m.put("kafka.buffered.records.per.partition", "1000");

    Properties p = streams(m);

    assertThat(
            new StreamsConfig(withRequired(p))
                .getInt(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG))
        .isEqualTo(1000);
  }

  @Test
  void shouldRetryTheStreamsProducersTransactionRequestsSoonerThanKafkasDefault() {
    long retryBackoff = producerRetryBackoffMs(minimal());

    assertThat(retryBackoff).isEqualTo(EditstreamProcessor.PRODUCER_RETRY_BACKOFF_MS);
    assertThat(retryBackoff)
        .isLessThan(
            (Long)
                ProducerConfig.configDef()
                    .defaultValues()
                    .get(ProducerConfig.RETRY_BACKOFF_MS_CONFIG));
  }

  @Test
  void shouldLetAKafkaSettingOverrideTheProducersRetryBackoff() {
    Map<String, String> m = minimal();
    m.put("kafka.producer.retry.backoff.ms", "250");

    assertThat(producerRetryBackoffMs(m)).isEqualTo(250L);
  }

  /** retry.backoff.ms as the producer Kafka Streams builds from these settings would read it. */
  private static long producerRetryBackoffMs(Map<String, String> settings) {
    Map<String, Object> producer =
        new HashMap<>(new StreamsConfig(withRequired(streams(settings))).getProducerConfigs("c"));
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new ProducerConfig(producer).getLong(ProducerConfig.RETRY_BACKOFF_MS_CONFIG);
  }

  @Test
  void shouldRejectACacheBoundOfZeroNamingTheSetting() {
    Map<String, String> m = minimal();
    m.put("cache.max.bytes", "0");

    assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(m)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache.max.bytes");
  }

  @Test
  void shouldMakeAnInstanceWithAnInstanceIdAStaticMemberNamedPerStateSlot() {
    Map<String, String> m = minimal();
    m.put("instance.id", "pod-3");
    ProcessorConfig config = ProcessorConfig.from(Settings.of(m));

    Properties p =
        EditstreamProcessor.streamsProperties(config, java.nio.file.Path.of("/state/instance-1"));

    assertThat(p.get(StreamsConfig.consumerPrefix("group.instance.id")))
        .isEqualTo("pod-3-instance-1");
    // Streams hands it to its main consumer (and appends the thread's index there).
    assertThat(
            new StreamsConfig(withRequired(p))
                .getMainConsumerConfigs("g", "c", 0)
                .get("group.instance.id"))
        .isEqualTo("pod-3-instance-1-0");
  }

  @Test
  void shouldKeepDynamicMembershipWithoutAnInstanceId() {
    Properties p = streams(minimal());

    assertThat(p).doesNotContainKey(StreamsConfig.consumerPrefix("group.instance.id"));
  }

  @Test
  void shouldRejectAnInstanceIdKafkaWouldNotAcceptNamingTheSetting() {
    Map<String, String> m = minimal();
    m.put("instance.id", "pod 3/a");

    assertThatThrownBy(() -> ProcessorConfig.from(Settings.of(m)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("instance.id")
        .hasMessageContaining("pod 3/a");
  }

  private static Properties withRequired(Properties p) {
    Properties q = new Properties();
    q.putAll(p);
    q.putIfAbsent(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
    return q;
  }
}
