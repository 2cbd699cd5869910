package io.editstream.cli.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class JobLookupTest {
  @Test
  void shouldPickThePartitionTheProducersDefaultPartitionerPicks() {
    for (int partitions : new int[] {1, 2, 3, 12, 50}) {
      for (int i = 0; i < 200; i++) {
        String key = "3f1c0a9e" + i + ".replay-" + (i % 3);
        assertThat(JobLookup.partitionOf(key, partitions))
            .as(key + " of " + partitions)
            .isEqualTo(
                BuiltInPartitioner.partitionForKey(
                    key.getBytes(StandardCharsets.UTF_8), partitions));
      }
    }
  }
}
