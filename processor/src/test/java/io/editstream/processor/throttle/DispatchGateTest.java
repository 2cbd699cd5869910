package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DispatchGateTest {
  private static final String MODEL = "flash";
  private static final Cost ONE = Cost.of(1, 1000);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final InFlightLimit inFlight = new InFlightLimit(3, meters);

  private DispatchGate gate(QuotaLimits limits, int partitions) {
    return new DispatchGate(
        inFlight,
        partitions,
        model -> QuotaPool.builder(model, limits).ticker(nanos::get).meterRegistry(meters).build(),
        Map.of(),
        1.0,
        1_000,
        meters);
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  private static Throttle.Submission submit(
      TaskGate task, String jobId, String model, String tenant, Priority priority, Cost cost) {
    return task.submit(new TaskGate.Demand(jobId, model, tenant, priority, cost, null));
  }

  private static List<String> take(TaskGate task) {
    return task.take().stream().map(TaskGate.Grant::jobId).toList();
  }

  @Test
  void shouldSetTheShareToOwnedOverTotalPartitionsOnEveryRegistration() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 4);
    submit(gate.register("1_0"), "warm-up", MODEL, "t", Priority.BULK, ONE);
    TaskGate second = gate.register("1_1");
    TaskGate third = gate.register("1_2");

    assertThat(gate.share()).isEqualTo(0.75);
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.75);
    assertThat(meters.get("editstream.throttle.share").tag("pool", MODEL).gauge().value())
        .isEqualTo(0.75);

    second.close(Map.of());
    second.close(Map.of()); // twice is harmless
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.5);
    third.close(Map.of());
    assertThat(gate.ownedPartitions()).isEqualTo(1);
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.25);
  }

  /**
   * The tasks keep the pools' history from their first start, so a first start runs the sliding
   * log: a stall (the stream thread taking in a backlog, a GC pause) is made up within the window.
   * The bucket alone banks only its burst and loses the rest of the stall.
   */
  @Test
  void shouldMakeUpAStallAtAFirstStartWhenTheTasksKeepAHistory() {
    // 60 a minute, burst 1: the log makes up the 10 s (59: one call counted as unseen); the bucket
    // makes 1 + 59 x 50 / 60.
    assertThat(callsInFirstMinuteWithAStall(true)).isGreaterThanOrEqualTo(57);
    assertThat(callsInFirstMinuteWithAStall(false)).isLessThanOrEqualTo(51);
  }

  private int callsInFirstMinuteWithAStall(boolean historyKept) {
    InFlightLimit slots = new InFlightLimit(1_000, meters);
    DispatchGate gate =
        new DispatchGate(
            slots,
            1,
            model ->
                QuotaPool.builder(model, QuotaLimits.perMinute(60, 1)).ticker(nanos::get).build(),
            Map.of(),
            1.0,
            1_000,
            meters);
    TaskGate task =
        historyKept ? gate.register("1_0", Map.of(), Map.of()) : gate.register("1_0", Map.of());
    for (int i = 0; i < 100; i++) {
      submit(task, "j" + i, MODEL, "t", Priority.BULK, ONE);
    }
    advance(Duration.ofSeconds(10)); // nobody asks for grants
    int granted = 0;
    for (int i = 0; i < 500; i++) { // then 50 s of asking every 100 ms
      granted += take(task).size();
      advance(Duration.ofMillis(100));
    }
    return granted;
  }

  /**
   * A call counts in the pool's log (and in the history the task writes down) from when it leaves,
   * not from its grant: of two jobs granted together, the one that left 5 s later is 5 s later in
   * the history.
   */
  @Test
  void shouldCountACallFromWhenItLeaves() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    TaskGate task = gate.register("1_0", Map.of(), Map.of());
    submit(task, "left-late", MODEL, "t", Priority.BULK, ONE);
    submit(task, "left-at-once", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofSeconds(2));
    assertThat(take(task)).containsExactlyInAnyOrder("left-late", "left-at-once");
    task.started("left-at-once");
    advance(Duration.ofSeconds(5));

    task.started("left-late");
    task.started("unknown"); // ignored

    List<Long> seconds =
        task.history().keySet().stream()
            .map(k -> Long.parseLong(k.substring(k.lastIndexOf('|') + 1)))
            .sorted()
            .toList();
    assertThat(seconds).hasSize(2);
    assertThat(seconds.get(1) - seconds.get(0)).isBetween(4L, 6L);
  }

  @Test
  void shouldGrantNothingWhileHeldAndEverythingDueOnRelease() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    gate.holdGrants();
    TaskGate task = gate.register("1_0");
    submit(task, "a", MODEL, "t", Priority.BULK, ONE);
    submit(task, "b", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1)); // permits and slots for both

    assertThat(take(task)).as("held: the dedup index is still being read").isEmpty();

    gate.releaseGrants();
    assertThat(take(task)).containsExactly("a", "b");
    gate.stopGranting();
    gate.releaseGrants(); // a clean stop still wins
    submit(task, "c", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(task)).isEmpty();
  }

  @Test
  void shouldGrantOnlyWithAFreeSlotAndOnlyToTheOwningTask() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 2);
    TaskGate a = gate.register("1_0");
    TaskGate b = gate.register("1_1");
    for (int i = 0; i < 3; i++) {
      submit(a, "a" + i, MODEL, "t", Priority.BULK, ONE);
      submit(b, "b" + i, MODEL, "u", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1)); // 6 permits banked, but only 3 slots

    List<String> forA = take(a);
    List<String> forB = take(b);

    assertThat(forA).allMatch(id -> id.startsWith("a"));
    assertThat(forB).allMatch(id -> id.startsWith("b"));
    assertThat(forA.size() + forB.size()).isEqualTo(3);
    assertThat(inFlight.inFlight()).isEqualTo(3);
    assertThat(gate.queued()).isEqualTo(3);
    // The permits not granted were not taken: a finished call lets exactly one more go.
    a.settle(forA.get(0), new Settlement.Used(null, 1000L));
    assertThat(take(a).size() + take(b).size()).isEqualTo(1);
    assertThat(inFlight.inFlight()).isEqualTo(3);
  }

  @Test
  void shouldGiveThePermitBackForACacheHit() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 1), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "hit", MODEL, "t", Priority.BULK, ONE);
    submit(a, "next", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("hit");
    assertThat(take(a)).isEmpty();

    a.settle("hit", Settlement.refund());

    assertThat(take(a)).containsExactly("next");
    assertThat(inFlight.inFlight()).isEqualTo(1);
  }

  @Test
  void shouldCorrectTheTokenEstimateFromUsage() {
    DispatchGate gate = gate(new QuotaLimits(600, 0, 600_000, 0, 2), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, Cost.of(1, 1500));
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("j");
    double before = tokens(gate);

    a.settle("j", new Settlement.Used(null, 500L));

    assertThat(tokens(gate)).isEqualTo(before + 1000);
  }

  @Test
  void shouldPauseThePoolOnA429AndLetTheJobBeQueuedAgain() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("j");

    a.settle("j", new Settlement.RateLimited(null, Duration.ofSeconds(7), false));

    QuotaPool.Snapshot pool = gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER);
    assertThat(pool.rateLimited()).isEqualTo(1);
    assertThat(pool.pausedFor()).isEqualTo(Duration.ofSeconds(7));
    assertThat(pool.rateFactor()).isLessThan(1.0);
    assertThat(inFlight.inFlight()).isZero();
    // The in-flight record is over, so the retry is accepted, and waits for the pause.
    assertThat(submit(a, "j", MODEL, "t", Priority.BULK, ONE))
        .isEqualTo(Throttle.Submission.ACCEPTED);
    assertThat(take(a)).isEmpty();
  }

  @Test
  void shouldGiveThePermitBackForARefund() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 1), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "bad", MODEL, "t", Priority.BULK, ONE);
    submit(a, "next", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("bad");

    a.settle("bad", Settlement.refund());

    assertThat(take(a)).containsExactly("next");
  }

  @Test
  void shouldDropTheShareThenCancelQueuedAndReturnUnsentGrantsOnUnregister() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 2);
    TaskGate a = gate.register("1_0");
    TaskGate b = gate.register("1_1");
    for (int i = 0; i < 4; i++) {
      submit(a, "a" + i, MODEL, "t", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1));
    assertThat(take(b)).isEmpty(); // routes a's grants to a's inbox
    assertThat(inFlight.inFlight()).isEqualTo(3);

    a.close(Map.of());

    assertThat(inFlight.inFlight()).isZero();
    assertThat(gate.queued()).isZero();
    assertThat(gate.share()).isEqualTo(0.5);
  }

  @Test
  void shouldNotThrottleUnlimitedPools() {
    DispatchGate gate = DispatchGate.unlimited(inFlight, 1, meters);
    TaskGate a = gate.register("1_0");
    for (int i = 0; i < 5; i++) {
      submit(a, "j" + i, MODEL, "t", Priority.BULK, ONE);
    }

    assertThat(take(a)).containsExactly("j0", "j1", "j2"); // the slots are the only bound
  }

  @Test
  void shouldTakePermitsInTheBackgroundAsSoonAsThePoolHasThem() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "j0", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    gate.startPump();
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.inFlight() == 1);
      submit(a, "j1", MODEL, "t", Priority.BULK, ONE); // wakes the pump

      await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.inFlight() == 2);
      assertThat(gate.queued()).isZero();
      assertThat(take(a)).containsExactly("j0", "j1");
    } finally {
      gate.close();
    }
  }

  @Test
  void shouldHandOutTheSubmittedCostAndTheRpdDayWithTheGrant() {
    Clock pacificNoon = Clock.fixed(Instant.parse("2026-12-03T20:00:00Z"), ZoneOffset.UTC);
    DispatchGate gate =
        new DispatchGate(
            inFlight,
            1,
            model ->
                QuotaPool.builder(model, new QuotaLimits(600, 0, 0, 100, 6))
                    .ticker(nanos::get)
                    .clock(pacificNoon)
                    .meterRegistry(meters)
                    .build(),
            Map.of(),
            1.0,
            1_000,
            meters);
    TaskGate a = gate.register("1_0");
    Cost twoTurns = Cost.of(2, 2500);
    submit(a, "j", MODEL, "t", Priority.BULK, twoTurns);
    advance(Duration.ofMinutes(1));

    assertThat(a.take())
        .containsExactly(
            new TaskGate.Grant(
                "j",
                null, // one provider: calls are not pinned
                new PoolDay(DispatchGate.SINGLE_PROVIDER, MODEL, LocalDate.parse("2026-12-03")),
                twoTurns));
  }

  @Test
  void shouldIgnoreASecondSettlementAndASecondClose() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 1), 1);
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, ONE);
    submit(a, "next", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("j");

    a.settle("j", Settlement.refund());
    a.settle("j", Settlement.refund()); // no second slot or permit comes back
    a.settle("never-granted", Settlement.refund());

    assertThat(take(a)).containsExactly("next");
    assertThat(take(a)).isEmpty();
    assertThat(inFlight.inFlight()).isEqualTo(1);
    a.close(Map.of());
    a.close(Map.of());
    assertThat(inFlight.inFlight()).isEqualTo(1); // the call of "next" is still in flight
    assertThat(gate.ownedPartitions()).isZero();
  }

  private static double tokens(DispatchGate gate) {
    return gate.pools()
        .get(MODEL)
        .get(DispatchGate.SINGLE_PROVIDER)
        .buckets()
        .get(Bucket.INPUT_TOKENS_PER_MINUTE)
        .available();
  }
}
