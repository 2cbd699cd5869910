package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.schema.FailureCode;
import io.editstream.testkit.MutableClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's state as {@code GET /jobs} reads it from the {@link JobDirectory}, wired into the
 * topology on a fake clock: waiting for quota, in flight, backing off after a retryable failure
 * (with its error, attempt count and next attempt time), in flight again, and gone from the
 * directory with its outcome; a closed task's jobs are no longer answered by this instance.
 */
class JobDirectoryWiringTest {

  @TempDir Path stateDir;

  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** Each call waits for the test to answer it; a new call replaces the answered one. */
  private final TopologyHarness.WaitingDispatcher dispatcher =
      new TopologyHarness.WaitingDispatcher();

  private final Map<String, CompletableFuture<Dispatcher.Attempt>> calls = dispatcher.calls;
  private TopologyHarness harness;
  private JobDirectory directory;
  private boolean closed;

  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_700_000_000_000L));

  @BeforeEach
  void setUp() {
    // One call at a time: the second job waits for a slot; no backoff of its own: the 503's retry
    // delay (10 s) decides.
    JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, 1, clock, meters);
    directory = runtime.jobs();
    harness = new TopologyHarness(runtime, "job-directory-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    if (!closed) {
      harness.close();
    }
  }

  @Test
  void shouldTrackEachJobsStateUntilItsOutcome() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    harness.submit("j2", EditstreamTopologyTest.job("j2", "remove the background"));
    tick();

    LiveJob j1 = directory.find("j1").orElseThrow();
    assertThat(j1.state()).isEqualTo(JobState.IN_FLIGHT);
    assertThat(j1.attempts()).isEqualTo(1);
    assertThat(j1.sku()).isEqualTo("SKU-j1");
    assertThat(directory.find("j2").orElseThrow().state())
        .as("one slot, taken by j1")
        .isEqualTo(JobState.WAITING_FOR_QUOTA);

    advance(Duration.ofSeconds(3));
    calls
        .get("j1")
        .complete(
            new Dispatcher.Failed(
                Outcome.Failure.retryable(
                    FailureCode.MODEL_UNAVAILABLE, 503, "overloaded", Duration.ofSeconds(10)),
                1));
    tick();

    LiveJob backingOff = directory.find("j1").orElseThrow();
    assertThat(backingOff.state()).isEqualTo(JobState.BACKING_OFF);
    assertThat(backingOff.lastError()).isEqualTo("MODEL_UNAVAILABLE: overloaded");
    assertThat(backingOff.attempts()).isEqualTo(1);
    assertThat(backingOff.nextAttemptAtMs()).isEqualTo(clock.millis() + 10_000);
    assertThat(backingOff.sinceMs()).isEqualTo(clock.millis());
    assertThat(directory.find("j2").orElseThrow().state())
        .as("the freed slot goes to j2")
        .isEqualTo(JobState.IN_FLIGHT);

    advance(Duration.ofSeconds(10));
    calls.get("j2").complete(TopologyHarness.produced());
    tick();
    assertThat(directory.find("j2")).as("finished: gone from the directory").isEmpty();
    LiveJob again = directory.find("j1").orElseThrow();
    assertThat(again.state()).isEqualTo(JobState.IN_FLIGHT);
    assertThat(again.attempts()).isEqualTo(2);
    assertThat(again.lastError()).as("kept until the job ends").isNotNull();
    assertThat(directory.bySku("SKU-j1", "acme")).extracting(LiveJob::jobId).containsExactly("j1");
    assertThat(directory.bySku("SKU-j1", "other")).isEmpty();

    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    assertThat(directory.size()).isZero();
    assertThat(harness.results.readKeyValuesToMap().keySet()).containsOnly("j1", "j2");
  }

  @Test
  void shouldForgetATasksJobsWhenTheTaskCloses() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    tick();
    assertThat(directory.find("j1")).isPresent();

    harness.close();
    closed = true;

    assertThat(directory.find("j1")).as("its next owner answers for it").isEmpty();
  }

  private void advance(Duration d) {
    clock.advance(d);
  }

  private void tick() {
    harness.round();
  }
}
