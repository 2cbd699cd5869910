package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-tenant daily caps wired into the topology, on a fake clock (issue 19.1): a job whose
 * estimated cost would take its tenant over its budget makes no call and waits until midnight
 * Pacific (or fails as BUDGET_EXCEEDED), other tenants' jobs keep flowing, the estimate is
 * corrected with the cost the result reports, and the spend is counted in the task's changelogged
 * store so it survives a restart.
 */
class SpendCapsWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;
  // 14:13 in Los Angeles on 2023-11-14; the next midnight there is 2023-11-15T08:00Z.
  private static final Instant START = Instant.ofEpochMilli(1_700_000_000_000L);
  private static final Instant NEXT_MIDNIGHT_PACIFIC = Instant.parse("2023-11-15T08:00:00Z");
  // $60 per million output tokens, input free: a 1K image (1,120 tokens) is estimated at $0.0672.
  private static final double ONE_JOB_USD = 1120 * 60 / 1e6;

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(START);
  private final AtomicLong nanos = clock.nanos;
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile Double reportedCostUsd = ONE_JOB_USD;
  private TopologyHarness harness;
  private JobRuntime runtime;

  private final Dispatcher dispatcher =
      (job, attempt) -> {
        calls.add(job.getJobId());
        return CompletableFuture.completedFuture(
            TopologyHarness.imageless(false, "ck", "test", reportedCostUsd));
      };

  private JobRuntime runtimeOf(SpendCaps.Caps caps) {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    DispatchGate gate = TopologyHarness.gate(clock, new QuotaLimits(0, 0, 0, 0, 1), 8, meters);
    SpendCaps spendCaps =
        new SpendCaps(caps, (in, out, images) -> out * 60 / 1e6, gate::share, meters);
    return TopologyHarness.runtime(
        dispatcher,
        job -> Optional.empty(),
        gate,
        clock,
        Duration.ofMillis(100),
        new TopologyMetrics(meters),
        spendCaps);
  }

  private void start(SpendCaps.Caps caps) {
    runtime = runtimeOf(caps);
    harness = new TopologyHarness(runtime, "spend-caps-wiring-test", stateDir);
  }

  private static SpendCaps.Caps budget(String tenant, double usd, boolean fail) {
    return new SpendCaps.Caps(Map.of(tenant, usd), null, Map.of(), null, fail);
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private void submit(String id, String tenant) {
    EditJob job = EditstreamTopologyTest.job(id, "remove the background " + id);
    job.setTenant(tenant);
    harness.submit(id, job);
  }

  private void run(Duration d) {
    harness.run(clock, d);
  }

  private Map<String, Long> spendStore() {
    return TopologyHarness.contents(harness.driver.getKeyValueStore(JobProcessor.SPEND_STORE));
  }

  @Test
  void shouldHoldATenantOverItsBudgetUntilMidnightPacificWhileAnotherTenantsJobsFlow() {
    start(budget("acme", 0.10, false));
    submit("a0", "acme");
    submit("a1", "acme");
    submit("b0", "beta");
    submit("b1", "beta");
    run(Duration.ofMillis(300));

    assertThat(calls).containsExactlyInAnyOrder("a0", "b0", "b1");
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("a0", "b0", "b1");
    assertThat(harness.failures.isEmpty()).isTrue();
    LiveJob held = runtime.jobs().find("a1").orElseThrow();
    assertThat(held.state()).isEqualTo(JobState.HELD);
    assertThat(held.nextAttemptAtMs())
        .as("checked again within a minute (the share of the cap may grow)")
        .isBetween(
            START.plus(JobProcessor.OVER_CAP_RECHECK).toEpochMilli(),
            START.plus(JobProcessor.OVER_CAP_RECHECK).toEpochMilli() + 300);
    assertThat(held.lastError())
        .contains("tenant 'acme'", "$0.10 budget", "tenant.budget.usd.per.day");
    assertThat(spendStore())
        .containsEntry("usd|2023-11-14|acme", 67_200L)
        .containsEntry("req|2023-11-14|acme", 1L)
        .as("tenants without a cap are counted too (their spend gauge)")
        .containsEntry("usd|2023-11-14|beta", 2 * 67_200L);

    run(Duration.ofMinutes(5));
    assertThat(calls).as("still held five minutes later").hasSize(3);

    nanos.set(NEXT_MIDNIGHT_PACIFIC.plusMillis(1).toEpochMilli() * 1_000_000);
    run(Duration.ofMillis(300));
    assertThat(calls).containsExactlyInAnyOrder("a0", "b0", "b1", "a1");
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("a1");
    assertThat(spendStore()).containsEntry("usd|2023-11-15|acme", 67_200L);
  }

  @Test
  void shouldFailAJobOverItsTenantsRequestCapWithoutACallWhenTheActionIsFail() {
    start(new SpendCaps.Caps(Map.of(), null, Map.of("acme", 1L), null, true));
    submit("a0", "acme");
    submit("a1", "acme");
    run(Duration.ofMillis(300));

    assertThat(calls).containsExactly("a0");
    Map<String, EditFailure> failures = harness.failures.readKeyValuesToMap();
    assertThat(failures).containsOnlyKeys("a1");
    assertThat(failures.get("a1").getCode()).isEqualTo(FailureCode.BUDGET_EXCEEDED);
    assertThat(failures.get("a1").getAttempts()).isZero();
    assertThat(failures.get("a1").getMessage())
        .contains("1 of its 1 model requests", "tenant.requests.per.day");
  }

  @Test
  void shouldCorrectTheEstimateWithTheCostTheResultReports() {
    reportedCostUsd = 0.01; // cheaper than estimated: room for the next job
    start(budget("acme", 0.10, false));
    submit("a0", "acme");
    run(Duration.ofMillis(200));
    assertThat(spendStore()).containsEntry("usd|2023-11-14|acme", 10_000L);

    submit("a1", "acme");
    run(Duration.ofMillis(200));
    assertThat(calls).containsExactly("a0", "a1");
    assertThat(spendStore()).containsEntry("usd|2023-11-14|acme", 20_000L);
  }

  @Test
  void shouldKeepTodaysSpendWhenTheTaskOpensAgainAndDeletePastDays() {
    // What the changelog restores after a kill -9: $0.09 spent today by acme, and an accepted job.
    runtime = runtimeOf(budget("acme", 0.10, false));
    TopologyHarness.RestoredTask task = new TopologyHarness.RestoredTask();
    KeyValueStore<String, byte[]> pending = task.pending;
    KeyValueStore<String, Long> spend = task.spend;
    PlainAvroSerde<EditJob> jobs = new PlainAvroSerde<>(EditJob.class);
    EditJob job = EditstreamTopologyTest.job("a0", "remove the background");
    job.setTenant("acme");
    pending.put(
        "a0",
        PendingJob.accepted(jobs.serializer().serialize("jobs", job), START.toEpochMilli())
            .encode());
    spend.put("usd|2023-11-14|acme", 90_000L);
    spend.put("req|2023-11-14|acme", 3L);
    spend.put("usd|2023-11-13|acme", 500_000L);

    JobProcessor processor = task.open(runtime);
    assertThat(TopologyHarness.contents(spend))
        .as("past days deleted")
        .containsOnlyKeys("usd|2023-11-14|acme", "req|2023-11-14|acme");
    Punctuator tick = task.tick();
    for (int i = 0; i < 20; i++) {
      nanos.addAndGet(JobProcessor.TICK.toNanos());
      tick.punctuate(0);
    }
    assertThat(calls).as("$0.09 + $0.0672 is over the $0.10 budget").isEmpty();
    assertThat(runtime.jobs().find("a0").orElseThrow().state()).isEqualTo(JobState.HELD);

    processor.close();
    SpendCaps.Use left = runtime.spendCaps().used("acme", java.time.LocalDate.of(2023, 11, 14));
    assertThat(left)
        .as("the task's count leaves the instance with it")
        .isEqualTo(SpendCaps.Use.NONE);
  }
}
