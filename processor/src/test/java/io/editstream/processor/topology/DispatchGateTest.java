package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.Bucket;
import io.editstream.processor.throttle.Cost;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.processor.throttle.Throttle;
import io.editstream.schema.FailureCode;
import io.editstream.schema.Priority;
import io.editstream.schema.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.TaskId;
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

  private static Dispatcher.Produced produced(boolean cacheHit, int promptTokens) {
    return new Dispatcher.Produced(
        List.of(),
        null,
        MODEL,
        null,
        new TokenUsage(promptTokens, 0, 0, promptTokens),
        Duration.ZERO,
        cacheHit,
        "ck",
        null,
        0.0);
  }

  @Test
  void shouldSetTheShareToOwnedOverTotalPartitionsOnEveryRegistration() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 4);
    gate.submit(gate.register(new TaskId(1, 0)), "warm-up", MODEL, "t", Priority.BULK, ONE);
    DispatchGate.Registration second = gate.register(new TaskId(1, 1));
    DispatchGate.Registration third = gate.register(new TaskId(1, 2));

    assertThat(gate.share()).isEqualTo(0.75);
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.75);
    assertThat(meters.get("editstream.throttle.share").tag("pool", MODEL).gauge().value())
        .isEqualTo(0.75);

    gate.unregister(second);
    gate.unregister(second); // twice is harmless
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.5);
    gate.unregister(third);
    assertThat(gate.ownedPartitions()).isEqualTo(1);
    assertThat(gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER).share()).isEqualTo(0.25);
  }

  @Test
  void shouldGrantOnlyWithAFreeSlotAndOnlyToTheOwningTask() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 2);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    DispatchGate.Registration b = gate.register(new TaskId(1, 1));
    for (int i = 0; i < 3; i++) {
      gate.submit(a, "a" + i, MODEL, "t", Priority.BULK, ONE);
      gate.submit(b, "b" + i, MODEL, "u", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1)); // 6 permits banked, but only 3 slots

    List<String> forA = gate.take(a);
    List<String> forB = gate.take(b);

    assertThat(forA).allMatch(id -> id.startsWith("a"));
    assertThat(forB).allMatch(id -> id.startsWith("b"));
    assertThat(forA.size() + forB.size()).isEqualTo(3);
    assertThat(inFlight.inFlight()).isEqualTo(3);
    assertThat(gate.queued()).isEqualTo(3);
    // The permits not granted were not taken: a finished call lets exactly one more go.
    gate.finished(a, forA.get(0), produced(false, 1000));
    assertThat(gate.take(a).size() + gate.take(b).size()).isEqualTo(1);
    assertThat(inFlight.inFlight()).isEqualTo(3);
  }

  @Test
  void shouldGiveThePermitBackForACacheHit() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 1), 1);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    gate.submit(a, "hit", MODEL, "t", Priority.BULK, ONE);
    gate.submit(a, "next", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(gate.take(a)).containsExactly("hit");
    assertThat(gate.take(a)).isEmpty();

    gate.finished(a, "hit", produced(true, 0));

    assertThat(gate.take(a)).containsExactly("next");
    assertThat(inFlight.inFlight()).isEqualTo(1);
  }

  @Test
  void shouldCorrectTheTokenEstimateFromUsage() {
    DispatchGate gate = gate(new QuotaLimits(600, 0, 600_000, 0, 2), 1);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    gate.submit(a, "j", MODEL, "t", Priority.BULK, Cost.of(1, 1500));
    advance(Duration.ofMinutes(1));
    assertThat(gate.take(a)).containsExactly("j");
    double before = tokens(gate);

    gate.finished(a, "j", produced(false, 500));

    assertThat(tokens(gate)).isEqualTo(before + 1000);
  }

  @Test
  void shouldPauseThePoolOnA429AndLetTheJobBeQueuedAgain() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    gate.submit(a, "j", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(gate.take(a)).containsExactly("j");

    gate.finished(
        a,
        "j",
        new Dispatcher.Failed(
            Outcome.Failure.retryable(
                FailureCode.QUOTA_EXHAUSTED, 429, "HTTP 429", Duration.ofSeconds(7))));

    QuotaPool.Snapshot pool = gate.pools().get(MODEL).get(DispatchGate.SINGLE_PROVIDER);
    assertThat(pool.rateLimited()).isEqualTo(1);
    assertThat(pool.pausedFor()).isEqualTo(Duration.ofSeconds(7));
    assertThat(pool.rateFactor()).isLessThan(1.0);
    assertThat(inFlight.inFlight()).isZero();
    // The in-flight record is over, so the retry is accepted, and waits for the pause.
    assertThat(gate.submit(a, "j", MODEL, "t", Priority.BULK, ONE))
        .isEqualTo(Throttle.Submission.ACCEPTED);
    assertThat(gate.take(a)).isEmpty();
  }

  @Test
  void shouldRefundAttemptsRejectedBeforeTheCall() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 1), 1);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    gate.submit(a, "bad", MODEL, "t", Priority.BULK, ONE);
    gate.submit(a, "next", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(gate.take(a)).containsExactly("bad");

    gate.finished(
        a,
        "bad",
        new Dispatcher.Failed(
            Outcome.Failure.permanent(FailureCode.IMAGE_FETCH_FAILED, null, null, "timeout")));

    assertThat(gate.take(a)).containsExactly("next");
  }

  @Test
  void shouldDropTheShareThenCancelQueuedAndReturnUnsentGrantsOnUnregister() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 2);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    DispatchGate.Registration b = gate.register(new TaskId(1, 1));
    for (int i = 0; i < 4; i++) {
      gate.submit(a, "a" + i, MODEL, "t", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1));
    assertThat(gate.take(b)).isEmpty(); // routes a's grants to a's inbox
    assertThat(inFlight.inFlight()).isEqualTo(3);

    gate.unregister(a);

    assertThat(inFlight.inFlight()).isZero();
    assertThat(gate.queued()).isZero();
    assertThat(gate.share()).isEqualTo(0.5);
  }

  @Test
  void shouldNotThrottleUnlimitedPools() {
    DispatchGate gate = DispatchGate.unlimited(inFlight, 1, meters);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    for (int i = 0; i < 5; i++) {
      gate.submit(a, "j" + i, MODEL, "t", Priority.BULK, ONE);
    }

    assertThat(gate.take(a)).containsExactly("j0", "j1", "j2"); // the slots are the only bound
  }

  @Test
  void shouldTakePermitsInTheBackgroundAsSoonAsThePoolHasThem() {
    DispatchGate gate = gate(QuotaLimits.perMinute(600, 6), 1);
    DispatchGate.Registration a = gate.register(new TaskId(1, 0));
    gate.submit(a, "j0", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    gate.startPump();
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.inFlight() == 1);
      gate.submit(a, "j1", MODEL, "t", Priority.BULK, ONE); // wakes the pump

      await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.inFlight() == 2);
      assertThat(gate.queued()).isZero();
      assertThat(gate.take(a)).containsExactly("j0", "j1");
    } finally {
      gate.close();
    }
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
