package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completed-jobs sweep on the store type production uses (RocksDB), with a fake clock. */
class CompletedJobsTest {

  private static final Duration RETENTION = Duration.ofHours(1);
  private static final long T0 = 1_764_000_000_000L;
  private static final long STEP = CompletedJobs.STEP_EVERY.toMillis();

  @TempDir Path stateDir;
  private KeyValueStore<String, Long> store;

  @BeforeEach
  void openStore() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "completed-jobs-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    MockProcessorContext<Object, Object> context =
        new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());
    store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(JobProcessor.COMPLETED_STORE),
                Serdes.String(),
                Serdes.Long())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void shouldForgetOnlyTheJobIdsOlderThanTheRetention() {
    CompletedJobs completed = new CompletedJobs(store, RETENTION, T0);
    completed.finished("old-1", T0);
    completed.finished("old-2", T0);
    completed.finished("new-1", T0 + RETENTION.toMillis());

    long now = T0 + RETENTION.toMillis() + STEP;
    assertThat(completed.sweep(now)).isEqualTo(2);

    assertThat(completed.contains("old-1")).isFalse();
    assertThat(completed.contains("old-2")).isFalse();
    assertThat(completed.contains("new-1")).isTrue();
  }

  @Test
  void shouldTakeAStepOnlyOncePerInterval() {
    CompletedJobs completed = new CompletedJobs(store, RETENTION, T0);
    completed.finished("old", T0);
    long expired = T0 + RETENTION.toMillis() + 1;

    assertThat(completed.sweep(T0 + STEP - 1)).as("before the first interval").isZero();
    assertThat(completed.sweep(expired)).isEqualTo(1);
    completed.finished("old-too", T0);
    assertThat(completed.sweep(expired + STEP - 1)).as("within the interval").isZero();
    assertThat(completed.contains("old-too")).isTrue();
    assertThat(completed.sweep(expired + STEP)).isEqualTo(1);
  }

  @Test
  void shouldReadABoundedStepAndResumeAfterTheLastKeyItRead() {
    fill("a-", 2_500, T0); // as restored from the changelog: not counted as finished since a step
    CompletedJobs completed = new CompletedJobs(store, RETENTION, T0);
    long now = T0 + RETENTION.toMillis() + STEP;

    assertThat(completed.sweep(now)).isEqualTo(CompletedJobs.MIN_STEP);
    // The step read the store in key order: the first MIN_STEP keys are gone, the rest are there.
    assertThat(completed.contains(key("a-", 999))).isFalse();
    assertThat(completed.contains(key("a-", 1_000))).isTrue();
    assertThat(completed.sweep(now + STEP)).isEqualTo(CompletedJobs.MIN_STEP);
    assertThat(completed.sweep(now + 2 * STEP)).isEqualTo(500);
    assertThat(size()).isZero();
  }

  @Test
  void shouldStartANewPassAfterTheLastKey() {
    fill("a-", 1_500, T0);
    CompletedJobs completed = new CompletedJobs(store, RETENTION, T0);
    long beforeExpiry = T0 + RETENTION.toMillis() - 10 * STEP;

    assertThat(completed.sweep(beforeExpiry)).as("nothing expired yet").isZero();
    long expired = T0 + RETENTION.toMillis() + STEP;
    // The pass goes on from key 1,000 to the end, then the next pass starts from the first key.
    assertThat(completed.sweep(expired)).isEqualTo(500);
    assertThat(completed.contains(key("a-", 0))).isTrue();
    assertThat(completed.sweep(expired + STEP)).isEqualTo(1_000);
    assertThat(size()).isZero();
  }

  @Test
  void shouldReadMoreInAStepWhenJobsFinishFasterThanTheMinimum() {
    fill("a-", 3_000, T0);
    CompletedJobs completed = new CompletedJobs(store, RETENTION, T0);
    long now = T0 + RETENTION.toMillis() + STEP;
    for (int i = 0; i < 1_000; i++) {
      completed.finished(key("b-", i), now);
    }

    // MIN_STEP + 2 x 1,000 finished since the last step: every expired key in one step.
    assertThat(completed.sweep(now)).isEqualTo(3_000);
    assertThat(size()).isEqualTo(1_000);
  }

  private void fill(String prefix, int n, long finishedAt) {
    for (int i = 0; i < n; i++) {
      store.put(key(prefix, i), finishedAt);
    }
  }

  private static String key(String prefix, int i) {
    return prefix + String.format("%05d", i);
  }

  private long size() {
    return TopologyHarness.contents(store).size();
  }
}
