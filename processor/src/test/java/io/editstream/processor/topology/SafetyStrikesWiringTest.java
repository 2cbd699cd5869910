package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.config.ProcessorConfig.SafetyStrikes;
import io.editstream.processor.model.Outcome;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.schema.TenantHold;
import io.editstream.testkit.MutableClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safety strikes wired into the topology on a fake clock: the strike counter writes a hold to the
 * holds topic at the threshold, every job of the held tenant is then parked without a model call
 * (or failed as TENANT_SUSPENDED) while other tenants' jobs flow, and a release on the holds topic
 * lets the parked jobs run, with one outcome each.
 */
class SafetyStrikesWiringTest {

  @TempDir Path stateDir;

  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_700_000_000_000L));
  private final TopologyHarness.WaitingDispatcher dispatcher =
      new TopologyHarness.WaitingDispatcher();
  private final Map<String, CompletableFuture<Dispatcher.Attempt>> calls = dispatcher.calls;
  private final Map<String, Integer> callCount = dispatcher.callCount;
  private TenantHolds holds;
  private JobDirectory directory;
  private TopologyHarness harness;

  /** Threshold 2 in an hour; {@code inFlight} calls at a time. */
  private void start(SafetyStrikes.Action action, int inFlight) {
    holds = new TenantHolds(new SafetyStrikes(2, Duration.ofHours(1), action), meters);
    JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, inFlight, clock, meters, holds);
    directory = runtime.jobs();
    harness = new TopologyHarness(runtime, "strikes-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void shouldHoldATenantAtTheThresholdAndRunItsJobsOnlyAfterTheRelease() {
    start(SafetyStrikes.Action.HOLD, 10);
    block("bad-1", "bad");
    assertThat(harness.holdsOut.isEmpty()).as("one strike is below the threshold").isTrue();
    block("bad-2", "bad");

    List<KeyValue<String, TenantHold>> written = harness.holdsOut.readKeyValuesToList();
    assertThat(written).extracting(kv -> kv.key).containsExactly("bad");
    TenantHold hold = written.get(0).value;
    assertThat(hold.getHeld()).isTrue();
    assertThat(hold.getStrikes()).isEqualTo(2);
    assertThat(hold.getJobIds()).containsExactly("bad-1", "bad-2");
    assertThat(hold.getWindowMs()).isEqualTo(Duration.ofHours(1).toMillis());
    assertThat(holds.isHeld("bad")).as("every instance reads the hold").isTrue();
    assertThat(heldGauge("bad")).isEqualTo(1.0);

    harness.submit("bad-3", job("bad-3", "bad"));
    harness.submit("good-1", job("good-1", "good"));
    tick();
    assertThat(callCount).as("the held tenant's job makes no call").doesNotContainKey("bad-3");
    assertThat(callCount).containsKey("good-1");
    assertThat(directory.find("bad-3").orElseThrow().state()).isEqualTo(JobState.HELD);
    calls.get("good-1").complete(TopologyHarness.produced());
    tick();
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("good-1");

    release("bad");
    tick();
    assertThat(callCount.get("bad-3")).isEqualTo(1);
    calls.get("bad-3").complete(TopologyHarness.produced());
    tick();
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("bad-3");
    assertThat(harness.failures.readKeyValuesToMap())
        .as("one outcome each: the two blocked jobs' failures only")
        .containsOnlyKeys("bad-1", "bad-2");
    assertThat(heldGauge("bad")).isEqualTo(0.0);
  }

  @Test
  void shouldNotHoldAgainForStrikesBeforeTheRelease() {
    start(SafetyStrikes.Action.HOLD, 10);
    harness.submit("bad-1", job("bad-1", "bad"));
    harness.submit("bad-2", job("bad-2", "bad"));
    harness.submit("bad-3", job("bad-3", "bad"));
    tick();
    answerBlocked("bad-1");
    answerBlocked("bad-2");
    tick();
    assertThat(harness.holdsOut.readKeyValuesToList()).hasSize(1);
    // A call running when the hold came is blocked too: a strike while held.
    answerBlocked("bad-3");
    tick();
    assertThat(harness.holdsOut.isEmpty()).as("held already").isTrue();

    advance(Duration.ofMinutes(1));
    release("bad");
    advance(Duration.ofMinutes(1));
    block("bad-4", "bad");
    assertThat(harness.holdsOut.isEmpty())
        .as("one strike after the release; the three before it are forgiven")
        .isTrue();
    block("bad-5", "bad");
    List<KeyValue<String, TenantHold>> again = harness.holdsOut.readKeyValuesToList();
    assertThat(again).hasSize(1);
    assertThat(again.get(0).value.getJobIds()).containsExactly("bad-4", "bad-5");
    assertThat(meters.get(TopologyMetrics.TENANT_STRIKES).tag("tenant", "bad").counter().count())
        .isEqualTo(5.0);
    assertThat(meters.get(TopologyMetrics.TENANT_HOLDS).tag("tenant", "bad").counter().count())
        .isEqualTo(2.0);
  }

  @Test
  void shouldNotCountStrikesOlderThanTheWindow() {
    start(SafetyStrikes.Action.HOLD, 10);
    block("bad-1", "bad");
    advance(Duration.ofMinutes(61));
    block("bad-2", "bad");
    assertThat(harness.holdsOut.isEmpty()).isTrue();
    block("other-1", "other");
    assertThat(harness.holdsOut.isEmpty()).as("strikes are counted per tenant").isTrue();
    assertThat(holds.isHeld("bad")).isFalse();
  }

  @Test
  void shouldGiveBackAJobThatWasWaitingForQuotaWhenItsTenantIsHeld() {
    start(SafetyStrikes.Action.HOLD, 1);
    harness.submit("good-1", job("good-1", "good"));
    harness.submit("bad-1", job("bad-1", "bad"));
    tick();
    assertThat(callCount).containsOnlyKeys("good-1"); // one slot: bad-1 waits for it

    // A hold written by hand is obeyed like one from strikes.
    harness.holdsIn.pipeInput(
        "bad",
        TenantHold.newBuilder()
            .setTenant("bad")
            .setHeld(true)
            .setAt(clock.instant())
            .setBy("ops")
            .setReason("by hand")
            .build(),
        clock.instant());
    calls.get("good-1").complete(TopologyHarness.produced());
    tick();
    tick();
    assertThat(callCount).as("granted after the hold: given back").doesNotContainKey("bad-1");
    assertThat(directory.find("bad-1").orElseThrow().state()).isEqualTo(JobState.HELD);
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("good-1");

    release("bad");
    tick();
    tick();
    assertThat(callCount.get("bad-1")).as("the slot it gave back is free").isEqualTo(1);
  }

  @Test
  void shouldFailAHeldTenantsJobsAsSuspendedWhenTheActionIsFail() {
    start(SafetyStrikes.Action.FAIL, 10);
    block("bad-1", "bad");
    block("bad-2", "bad");
    harness.failures.readKeyValuesToList();

    harness.submit("bad-3", job("bad-3", "bad"));
    tick();
    List<KeyValue<String, EditFailure>> failed = harness.failures.readKeyValuesToList();
    assertThat(failed).extracting(kv -> kv.key).containsExactly("bad-3");
    EditFailure f = failed.get(0).value;
    assertThat(f.getCode()).isEqualTo(FailureCode.TENANT_SUSPENDED);
    assertThat(f.getRetryable()).isFalse();
    assertThat(f.getAttempts()).isZero();
    assertThat(f.getMessage())
        .contains("tenant 'bad' is held since")
        .contains("2 safety blocks")
        .contains("editstream tenant release");
    assertThat(callCount).doesNotContainKey("bad-3");
  }

  @Test
  void shouldLeaveTheJobTasksTheirIdsWhetherOrNotStrikesAreCounted() {
    for (int direct : new int[] {1, 0}) {
      for (TenantHolds h :
          List.of(
              TenantHolds.off(),
              new TenantHolds(
                  new SafetyStrikes(2, Duration.ofHours(1), SafetyStrikes.Action.HOLD), null))) {
        JobRuntime runtime = TopologyHarness.unthrottled(dispatcher, 1, clock, meters, h);
        var description = TopologyHarness.topology(runtime, direct).describe();
        Map<String, Integer> subtopologyOf = new java.util.HashMap<>();
        description
            .subtopologies()
            .forEach(st -> st.nodes().forEach(n -> subtopologyOf.put(n.name(), st.id())));
        // The ids these had before the holds existed: task ids (and state directories) of
        // running deployments stay where they were.
        assertThat(subtopologyOf)
            .as("direct %d, counting %s", direct, h.policy().counting())
            .containsEntry("decode", 0)
            .containsEntry("jobs", direct == 1 ? 0 : 1);
        int last = direct == 1 ? 0 : 1;
        if (h.policy().counting()) {
          last++;
          assertThat(subtopologyOf).containsEntry("strike-counter", last);
        } else {
          assertThat(subtopologyOf).doesNotContainKey("strike-counter");
        }
        int globalId = last + 1; // numbered last
        assertThat(description.globalStores())
            .singleElement()
            .satisfies(g -> assertThat(g.id()).isEqualTo(globalId));
      }
    }
  }

  /** A job of {@code tenant} called at once and answered PROMPT_BLOCKED. */
  private void block(String jobId, String tenant) {
    harness.submit(jobId, job(jobId, tenant));
    tick();
    answerBlocked(jobId);
    tick();
  }

  private void answerBlocked(String jobId) {
    calls
        .get(jobId)
        .complete(
            new Dispatcher.Failed(
                Outcome.Failure.permanent(
                    FailureCode.PROMPT_BLOCKED, null, null, "blockReason PROHIBITED_CONTENT")));
  }

  /** What editstream tenant release writes. */
  private void release(String tenant) {
    harness.holdsIn.pipeInput(
        tenant,
        TenantHold.newBuilder()
            .setTenant(tenant)
            .setHeld(false)
            .setAt(clock.instant())
            .setBy("ops")
            .build(),
        clock.instant());
  }

  private double heldGauge(String tenant) {
    return meters.get(TenantHolds.HELD_GAUGE).tag("tenant", tenant).gauge().value();
  }

  private EditJob job(String id, String tenant) {
    EditJob job = EditstreamTopologyTest.job(id, "remove the background");
    job.setTenant(tenant);
    return job;
  }

  private void advance(Duration d) {
    clock.advance(d);
  }

  /** One round: a dispatch is recorded at one punctuation and its call starts at the next. */
  private void tick() {
    harness.round();
  }
}
