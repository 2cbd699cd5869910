package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished jobId in the topology, on a fake clock: a repeat within the completed-jobs retention
 * (an hour in wiring tests) gets no second call or outcome; after it, the sweep has forgotten the
 * jobId and a job that reuses it is a new job.
 */
class CompletedRetentionWiringTest {

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(Instant.ofEpochMilli(1_764_000_000_000L));
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private TopologyHarness harness;

  @BeforeEach
  void setUp() {
    Dispatcher dispatcher =
        (job, attempt) -> {
          calls.add(job.getJobId());
          return CompletableFuture.completedFuture(TopologyHarness.produced());
        };
    harness =
        new TopologyHarness(
            TopologyHarness.unthrottled(dispatcher, 4, clock, meters),
            "completed-retention-test",
            stateDir);
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void shouldTreatAReusedJobIdAsNewOnlyAfterTheRetention() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    harness.run(clock, Duration.ofMillis(100));
    assertThat(resultKeys()).containsExactly("j1");

    clock.nanos.addAndGet(Duration.ofMinutes(59).toNanos());
    harness.run(clock, Duration.ofSeconds(2));
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    harness.run(clock, Duration.ofMillis(100));
    assertThat(resultKeys()).as("a repeat within the retention").isEmpty();
    assertThat(completedStore()).containsOnlyKeys("j1");

    clock.nanos.addAndGet(Duration.ofMinutes(2).toNanos());
    harness.run(clock, CompletedJobs.STEP_EVERY.multipliedBy(2));
    assertThat(completedStore()).as("forgotten by the sweep").isEmpty();
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    harness.run(clock, Duration.ofMillis(100));

    assertThat(resultKeys()).containsExactly("j1");
    assertThat(calls).containsExactly("j1", "j1");
    assertThat(meters.counter("editstream.jobs.duplicate").count()).isEqualTo(1.0);
  }

  private List<String> resultKeys() {
    return harness.results.readRecordsToList().stream().map(r -> r.key()).toList();
  }

  private java.util.Map<String, Long> completedStore() {
    return TopologyHarness.contents(
        harness.driver.<String, Long>getKeyValueStore(JobProcessor.COMPLETED_STORE));
  }
}
