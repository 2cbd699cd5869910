package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
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
 * Deadlines and cancellation wired into the topology on a fake clock (DESIGN.md §16): every job
 * gets exactly one outcome, and no model call starts for a job after its deadline or its cancel.
 */
class GuardrailsWiringTest {

  @TempDir Path stateDir;

  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /** Each call waits for the test to answer it; a new call replaces the answered one. */
  private final TopologyHarness.WaitingDispatcher dispatcher =
      new TopologyHarness.WaitingDispatcher();

  private final Map<String, CompletableFuture<Dispatcher.Attempt>> calls = dispatcher.calls;
  private TopologyHarness harness;
  private boolean closed;

  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_700_000_000_000L));

  private final Map<String, Integer> callCount = dispatcher.callCount;

  @BeforeEach
  void setUp() {
    // One call at a time: the second job waits for a slot; no backoff of its own: the 503's retry
    // delay (10 s) decides.
    JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, 1, clock, meters);
    harness = new TopologyHarness(runtime, "guardrails-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    if (!closed) {
      harness.close();
    }
  }

  @Test
  void shouldCancelAJobWaitingForQuotaWithoutCallingTheModel() {
    harness.submit("j1", job("j1", null));
    harness.submit("j2", job("j2", null));
    tick();
    assertThat(callCount).containsOnlyKeys("j1"); // one slot: j2 waits

    harness.cancel("j2", "wrong photo");
    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    tick();

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j1");
    EditFailure f = onlyFailure("j2");
    assertThat(f.getCode()).isEqualTo(FailureCode.CANCELLED);
    assertThat(f.getAttempts()).isZero();
    assertThat(f.getMessage()).contains("by ops").contains("wrong photo");
    assertThat(callCount).as("no call for the cancelled job").doesNotContainKey("j2");
  }

  @Test
  void shouldEndARunningJobAtTheCancelAndDropItsLateAnswer() {
    harness.submit("j1", job("j1", null));
    tick();
    harness.cancel("j1", null);
    tick();
    EditFailure f = onlyFailure("j1");
    assertThat(f.getCode()).isEqualTo(FailureCode.CANCELLED);
    assertThat(f.getAttempts()).isEqualTo(1);
    assertThat(f.getMessage()).contains("not waited for");

    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    assertThat(harness.results.isEmpty()).as("the late answer is dropped").isTrue();
    assertThat(harness.failures.isEmpty()).isTrue();
  }

  @Test
  void shouldCancelAJobWhoseCancelCameFirst() {
    harness.cancel("j1", "never mind");
    harness.submit("j1", job("j1", null));
    harness.submit("j1", job("j1", null)); // and its duplicate
    tick();

    EditFailure f = onlyFailure("j1");
    assertThat(f.getCode()).isEqualTo(FailureCode.CANCELLED);
    assertThat(f.getMessage()).contains("came before the job");
    assertThat(callCount).isEmpty();
  }

  @Test
  void shouldLeaveAFinishedJobAsItIs() {
    harness.submit("j1", job("j1", null));
    tick();
    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    harness.cancel("j1", "too late");
    tick();

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j1");
    assertThat(harness.failures.isEmpty()).isTrue();
  }

  @Test
  void shouldExpireAJobWhoseDeadlinePassedBeforeItWasRead() {
    harness.submit("j1", job("j1", Instant.ofEpochMilli(clock.millis() - 1)));
    tick();

    EditFailure f = onlyFailure("j1");
    assertThat(f.getCode()).isEqualTo(FailureCode.EXPIRED);
    assertThat(f.getRetryable()).isFalse();
    assertThat(f.getAttempts()).isZero();
    assertThat(f.getMessage()).contains("before the processor read it");
    assertThat(callCount).isEmpty();
  }

  @Test
  void shouldExpireAJobWhoseDeadlinePassesWhileItWaitsForQuota() {
    harness.submit("j1", job("j1", null));
    harness.submit("j2", job("j2", Instant.ofEpochMilli(clock.millis() + 5_000)));
    tick();
    assertThat(callCount).containsOnlyKeys("j1");

    advance(Duration.ofSeconds(6));
    tick();
    EditFailure f = onlyFailure("j2");
    assertThat(f.getCode()).isEqualTo(FailureCode.EXPIRED);
    assertThat(f.getMessage()).contains("waiting for quota");

    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    tick();
    assertThat(callCount)
        .as("the slot j2 was waiting for is not used for it")
        .doesNotContainKey("j2");
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j1");
  }

  @Test
  void shouldExpireAJobWhoseNextAttemptWouldComeAfterItsDeadline() {
    harness.submit("j1", job("j1", Instant.ofEpochMilli(clock.millis() + 5_000)));
    tick();
    calls
        .get("j1")
        .complete(
            new Dispatcher.Failed(
                Outcome.Failure.retryable(
                    FailureCode.MODEL_UNAVAILABLE, 503, "overloaded", Duration.ofSeconds(10)),
                1));
    tick();

    EditFailure f = onlyFailure("j1");
    assertThat(f.getCode()).isEqualTo(FailureCode.EXPIRED);
    assertThat(f.getAttempts()).isEqualTo(1);
    assertThat(f.getMessage()).contains("MODEL_UNAVAILABLE: overloaded");
    assertThat(callCount.get("j1")).isEqualTo(1);
  }

  @Test
  void shouldNotLetAProducerForgeACancel() {
    EditJob job = job("j1", null);
    harness.jobs.pipeInput(
        new org.apache.kafka.streams.test.TestRecord<>(
            "j1".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            harness.frame(job),
            new org.apache.kafka.common.header.internals.RecordHeaders()
                .add(JobProcessor.CANCEL_HEADER, new byte[] {1})));
    tick();
    assertThat(callCount).containsOnlyKeys("j1");
    assertThat(harness.failures.isEmpty()).isTrue();
  }

  private EditFailure onlyFailure(String jobId) {
    var out = harness.failures.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly(jobId);
    return out.get(0).value;
  }

  private EditJob job(String id, Instant deadline) {
    EditJob job = EditstreamTopologyTest.job(id, "remove the background");
    job.setDeadline(deadline);
    return job;
  }

  private void advance(Duration d) {
    clock.advance(d);
  }

  private void tick() {
    harness.round();
  }
}
