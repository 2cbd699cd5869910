package io.editstream.cli.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class DlqSelectionTest {
  @Test
  void shouldSelectByPositionAndReasonTogether() {
    DlqSelection s = DlqSelection.of(List.of("0:3", "1:4"), "unknown_schema", false, 2);

    assertThat(s.matches(dead(0, 3, "[UNKNOWN_SCHEMA_ID]: id 12"))).isTrue();
    assertThat(s.matches(dead(0, 3, "[WRONG_MAGIC_BYTE]"))).isFalse();
    assertThat(s.matches(dead(1, 3, "[UNKNOWN_SCHEMA_ID]"))).isFalse();
    assertThat(s.isExplicit()).isTrue();
  }

  @Test
  void shouldAcceptABareOffsetOnlyForASinglePartitionTopic() {
    assertThat(DlqSelection.of(List.of("7"), null, false, 1).matches(dead(0, 7, "x"))).isTrue();
    assertThatThrownBy(() -> DlqSelection.of(List.of("7"), null, false, 3))
        .hasMessageContaining("--offset 7 is ambiguous")
        .hasMessageContaining("0:7");
    assertThatThrownBy(() -> DlqSelection.of(List.of("5:1"), null, false, 3))
        .hasMessageContaining("partitions 0..2");
    assertThatThrownBy(() -> DlqSelection.of(List.of("x"), null, false, 1))
        .hasMessageContaining("PARTITION:OFFSET");
    assertThatThrownBy(() -> DlqSelection.of(List.of("1"), null, true, 1))
        .hasMessageContaining("--all");
  }

  @Test
  void shouldSelectNothingExplicitlyWithoutOptions() {
    DlqSelection s = DlqSelection.of(List.of(), null, false, 2);
    assertThat(s.isExplicit()).isFalse();
    assertThat(s.matches(dead(1, 9, "anything"))).isTrue();
  }

  @Test
  void shouldReadTheProcessorsHeadersAndKeepTheOthers() {
    ConsumerRecord<byte[], byte[]> r =
        new ConsumerRecord<>("dlq", 0, 5, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1});
    r.headers().add("trace", new byte[] {9});
    r.headers().add("editstream.dlq.topic", "edit-jobs".getBytes(StandardCharsets.UTF_8));
    r.headers().add("editstream.dlq.partition", "1".getBytes(StandardCharsets.UTF_8));
    r.headers().add("editstream.dlq.offset", "42".getBytes(StandardCharsets.UTF_8));
    r.headers()
        .add(
            "editstream.dlq.exception",
            "io.editstream.serde.SerdeException".getBytes(StandardCharsets.UTF_8));
    r.headers().add("editstream.dlq.message", "bad".getBytes(StandardCharsets.UTF_8));

    DeadLetter d = DeadLetter.of(r);

    assertThat(d.source()).isEqualTo("edit-jobs-1@42");
    assertThat(d.reason()).isEqualTo("SerdeException: bad");
    assertThat(d.position()).isEqualTo("0:5");
    assertThat(d.marker("dlq")).isEqualTo("dlq:0:5");
    assertThat(d.headers()).extracting(h -> h.key()).containsExactly("trace");
  }

  private static DeadLetter dead(int partition, long offset, String message) {
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("dlq", partition, offset, null, null);
    r.headers().add("editstream.dlq.exception", "SerdeException".getBytes(StandardCharsets.UTF_8));
    r.headers().add("editstream.dlq.message", message.getBytes(StandardCharsets.UTF_8));
    return DeadLetter.of(r);
  }
}
