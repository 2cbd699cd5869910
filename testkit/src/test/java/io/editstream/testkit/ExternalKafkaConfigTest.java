package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ExternalKafkaConfigTest {

  @Test
  void clientVariablesBecomeClientSettingsAndOthersAreIgnored() {
    Map<String, Object> config =
        KafkaBroker.externalClientConfig(
            "broker-1:9092",
            Map.of(
                "KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_CLIENT_SASL_MECHANISM", "PLAIN",
                "KAFKA_CLIENT_", "ignored: no key",
                "KAFKA_BOOTSTRAP_SERVERS", "ignored: passed separately",
                "PATH", "/usr/bin"));

    assertThat(config)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "bootstrap.servers", "broker-1:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN"));
  }
}
