package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DLQ's headers on the processor's clock, not the wall clock. */
class DeadLetterWiringTest {
  private static final Instant NOW = Instant.ofEpochMilli(1_700_000_000_000L);

  @TempDir Path stateDir;

  private final MutableClock clock = new MutableClock(NOW);
  private TopologyHarness harness;

  @BeforeEach
  void setUp() {
    JobRuntime runtime =
        TopologyHarness.unthrottled(
            new TopologyHarness.WaitingDispatcher(), 1, clock, new SimpleMeterRegistry());
    harness = new TopologyHarness(runtime, "dead-letter-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void shouldStampADeadLetterWithTheTimeOfTheProcessorsClock() {
    harness.jobs.pipeInput(
        "k".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 0, 42, (byte) 0xff});

    List<TestRecord<byte[], byte[]>> dead = harness.dlq.readRecordsToList();
    assertThat(dead).hasSize(1);
    Header stamp = dead.get(0).headers().lastHeader("editstream.dlq.timestamp");
    assertThat(stamp).isNotNull();
    assertThat(new String(stamp.value(), StandardCharsets.UTF_8))
        .isEqualTo(Long.toString(NOW.toEpochMilli()));
  }
}
