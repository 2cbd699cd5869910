package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.schema.EditFailure;
import io.editstream.schema.FailureCode;
import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meters the alert rules read, wired into the topology on a fake clock: the age of a task's
 * oldest pending job and the safety blocks per tenant, asserted on the registry and on its
 * Prometheus scrape (the names ops/prometheus/editstream-alerts.yml uses).
 */
class JobMetricsWiringTest {

  @TempDir Path stateDir;

  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  // Calls the test answers itself, by jobId: the job stays pending until then.
  private final Map<String, CompletableFuture<Dispatcher.Attempt>> calls =
      new ConcurrentHashMap<>();
  private TopologyHarness harness;
  private boolean closed;

  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_700_000_000_000L));

  /** "deny:CODE" fails at once with that permanent code; any other job waits for the test. */
  private final Dispatcher dispatcher =
      (job, attempt) -> {
        if (job.getInstruction().startsWith("deny:")) {
          FailureCode code = FailureCode.valueOf(job.getInstruction().substring(5));
          return CompletableFuture.completedFuture(
              new Dispatcher.Failed(Outcome.Failure.permanent(code, 200, null, "blocked")));
        }
        return calls.computeIfAbsent(job.getJobId(), id -> new CompletableFuture<>());
      };

  @BeforeEach
  void setUp() {
    JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, 4, clock, meters);
    harness = new TopologyHarness(runtime, "job-metrics-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    if (!closed) {
      harness.close();
    }
  }

  @Test
  void shouldReportTheOldestPendingJobsAgeUntilItsOutcome() {
    assertThat(oldestAge().value()).as("no job yet").isZero();

    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    tick();
    advance(Duration.ofSeconds(30));
    harness.submit("j2", EditstreamTopologyTest.job("j2", "remove the background"));
    tick();
    assertThat(calls).containsOnlyKeys("j1", "j2");
    advance(Duration.ofSeconds(60));

    assertThat(oldestAge().value()).as("j1, accepted 90 s ago").isEqualTo(90.0);

    calls.get("j1").complete(TopologyHarness.produced());
    tick();
    assertThat(harness.results.readKeyValuesToMap().keySet()).containsExactly("j1");
    assertThat(oldestAge().value()).as("j2 is now the oldest").isEqualTo(60.0);

    calls.get("j2").complete(TopologyHarness.produced());
    tick();
    assertThat(harness.results.readKeyValuesToMap().keySet()).containsExactly("j2");
    assertThat(oldestAge().value()).as("nothing pending").isZero();
  }

  @Test
  void shouldExposeTheAgeUnderItsPrometheusNamePerTask() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    tick();
    advance(Duration.ofSeconds(42));
    String task = oldestAge().getId().getTag("task");

    assertThat(meters.scrape())
        .contains("editstream_jobs_pending_oldest_age_seconds{task=\"" + task + "\"} 42.0")
        .as("no job in a batch (the batch lane is off)")
        .contains("editstream_jobs_batch_oldest_age_seconds{task=\"" + task + "\"} 0.0");
  }

  @Test
  void shouldRemoveTheAgeGaugeWhenTheTaskCloses() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    tick();
    advance(Duration.ofMinutes(5));
    assertThat(oldestAge().value()).isEqualTo(300.0);

    // The job is still pending: the task's next owner reports it; this instance must not.
    harness.close();
    closed = true;

    assertThat(meters.find(TopologyMetrics.PENDING_OLDEST_AGE).gauges()).isEmpty();
    assertThat(meters.scrape()).doesNotContain("editstream_jobs_pending_oldest_age_seconds");
  }

  @Test
  void shouldCountSafetyBlocksPerTenantAndCode() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "deny:PROMPT_BLOCKED"));
    harness.submit("j2", EditstreamTopologyTest.job("j2", "deny:PROMPT_BLOCKED"));
    harness.submit("j3", EditstreamTopologyTest.job("j3", "deny:IMAGE_SAFETY"));
    harness.submit("j4", EditstreamTopologyTest.job("j4", "deny:MODEL_INVALID_ARGUMENT"));
    tick();

    assertThat(harness.failures.readValuesToList())
        .extracting(EditFailure::getCode)
        .containsExactlyInAnyOrder(
            FailureCode.PROMPT_BLOCKED,
            FailureCode.PROMPT_BLOCKED,
            FailureCode.IMAGE_SAFETY,
            FailureCode.MODEL_INVALID_ARGUMENT);
    assertThat(blocked("acme", "PROMPT_BLOCKED")).isEqualTo(2.0);
    assertThat(blocked("acme", "IMAGE_SAFETY")).isEqualTo(1.0);
    assertThat(meters.find(TopologyMetrics.SAFETY_BLOCKED).counters())
        .as("only safety codes")
        .hasSize(2);
    assertThat(meters.scrape())
        .contains(
            "editstream_jobs_safety_blocked_total{code=\"PROMPT_BLOCKED\",tenant=\"acme\"} 2.0");
  }

  private Gauge oldestAge() {
    Gauge g = meters.find(TopologyMetrics.PENDING_OLDEST_AGE).gauge();
    assertThat(g).as("the task's oldest-age gauge").isNotNull();
    return g;
  }

  private double blocked(String tenant, String code) {
    return meters.counter(TopologyMetrics.SAFETY_BLOCKED, "tenant", tenant, "code", code).count();
  }

  private void advance(Duration d) {
    clock.advance(d);
  }

  /** One round of the job processor (wall-clock; the fake clock is the processor's). */
  private void tick() {
    harness.round();
  }
}
