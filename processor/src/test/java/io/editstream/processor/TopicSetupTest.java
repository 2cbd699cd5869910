package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.testkit.KafkaBroker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** Topic set-up against the real broker: a fresh cluster must never race the processor. */
class TopicSetupTest {

  @Test
  void shouldDescribeTopicsItJustCreatedWithoutRacingTheBrokersMetadata() {
    KafkaBroker broker = KafkaBroker.shared();
    try (Admin admin = Admin.create(new HashMap<>(broker.clientConfig()))) {
      // Each round is a processor starting with a new prefix on a cluster that has never seen it.
      for (int round = 0; round < 20; round++) {
        String prefix = "race-" + UUID.randomUUID() + ".";
        List<TopicSetup.Wanted> wanted =
            List.of(
                new TopicSetup.Wanted(prefix + "edit-jobs", 6, (short) -1, Map.of()),
                new TopicSetup.Wanted(prefix + "edit-results", 6, (short) -1, Map.of()),
                new TopicSetup.Wanted(prefix + "edit-failures", 3, (short) -1, Map.of()));

        TopicSetup.ensure(admin, wanted);

        assertThat(TopicSetup.partitions(admin, prefix + "edit-jobs")).isEqualTo(6);
        assertThat(TopicSetup.partitions(admin, prefix + "edit-failures")).isEqualTo(3);
      }
    }
  }

  @Test
  void shouldStopWithAMessageNamingTheTopicWhenItNeverAppears() {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = "never-created-" + UUID.randomUUID();
    try (Admin admin = Admin.create(new HashMap<>(broker.clientConfig()))) {
      assertThatThrownBy(() -> TopicSetup.partitions(admin, topic, Duration.ofMillis(500)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(topic)
          .hasMessageContaining("kafka.bootstrap.servers")
          .hasMessageContaining("did not appear");
    }
  }
}
