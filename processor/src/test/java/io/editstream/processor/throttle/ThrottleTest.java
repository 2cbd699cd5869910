package io.editstream.processor.throttle;

import static io.editstream.schema.Priority.BULK;
import static io.editstream.schema.Priority.INTERACTIVE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.editstream.processor.throttle.Throttle.Submission;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ThrottleTest {
  private static final Cost ONE = Cost.of(1, 1290);
  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private Throttle<String> throttle(QuotaLimits limits) {
    QuotaPool pool =
        QuotaPool.builder("flash", limits)
            .ticker(ticker)
            .initialShare(1)
            .meterRegistry(registry)
            .build();
    return new Throttle<>(pool, FairScheduler.withEqualWeights(50_000), registry);
  }

  @Test
  void shouldReleaseOnlyWhatThePoolAdmits() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    for (int i = 0; i < 100; i++) {
      assertThat(throttle.submit("j" + i, ONE, "t", BULK)).isEqualTo(Submission.ACCEPTED);
    }

    assertThat(throttle.drain()).isEmpty(); // starts empty
    ticker.advance(Duration.ofMinutes(5));
    assertThat(throttle.drain()).containsExactly("j0", "j1", "j2", "j3", "j4", "j5");
    assertThat(throttle.drain()).isEmpty();
    assertThat(throttle.queued()).isEqualTo(94);
    assertThat(throttle.nextWakeup().orElseThrow().toNanos())
        .isCloseTo((long) (1e9 * 60 / 594), within(2L));
  }

  @Test
  void shouldDispatchAnotherTenantsJobWithinOneFairShareOfA10000JobBacklog() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    for (int i = 0; i < 10_000; i++) {
      throttle.submit("big-" + i, ONE, "big", BULK);
    }
    List<String> dispatched = new ArrayList<>();
    runByWakeups(throttle, Duration.ofSeconds(30), dispatched);

    int mark = dispatched.size();
    throttle.submit("small-1", ONE, "small", BULK);
    runByWakeups(throttle, Duration.ofSeconds(1), dispatched);

    // At most one job of the backlogged tenant goes before it.
    assertThat(dispatched.subList(mark, mark + 2)).contains("small-1");
  }

  @Test
  void shouldDispatchInteractiveBeforeBulk() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    for (int i = 0; i < 20; i++) {
      throttle.submit("bulk-" + i, ONE, "catalogue", BULK);
    }
    throttle.submit("ui-1", ONE, "shop", INTERACTIVE);
    throttle.submit("ui-2", ONE, "catalogue", INTERACTIVE);
    ticker.advance(Duration.ofMinutes(1));

    assertThat(throttle.drain()).startsWith("ui-1", "ui-2").hasSize(6);
  }

  @Test
  void shouldReachNearlyFullQuotaWhenWokenExactlyWithBurstOne() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(1000, 1));
    for (int i = 0; i < 5000; i++) {
      throttle.submit("j" + i, Cost.of(0, 0), "t", BULK);
    }
    List<Long> times = new ArrayList<>();
    long end = ticker.read() + Duration.ofMinutes(3).toNanos();
    while (ticker.read() < end) {
      for (String ignored : throttle.drain()) {
        times.add(ticker.read());
      }
      ticker.advance(throttle.nextWakeup().orElseThrow());
    }

    assertThat(times.size()).isGreaterThanOrEqualTo(2990); // 999/min after an empty start
    long worst = 0;
    for (int i = 0, j = 0; i < times.size(); i++) {
      while (j < times.size() && times.get(j) <= times.get(i) + 60_000_000_000L) {
        j++;
      }
      worst = Math.max(worst, j - i);
    }
    assertThat(worst).isLessThanOrEqualTo(1000);
  }

  @Test
  void shouldReportTooLargeDuplicateAndFull() {
    QuotaPool pool =
        QuotaPool.builder("p", new QuotaLimits(600, 0, 10_000, 0, 6))
            .ticker(ticker)
            .initialShare(1)
            .build();
    Throttle<String> throttle = new Throttle<>(pool, FairScheduler.withEqualWeights(2), null);

    assertThat(throttle.submit("huge", Cost.of(0, 9_000), "t", BULK))
        .isEqualTo(Submission.TOO_LARGE);
    assertThat(throttle.submit("a", Cost.of(0, 10), "t", BULK)).isEqualTo(Submission.ACCEPTED);
    assertThat(throttle.submit("a", Cost.of(0, 10), "t", BULK)).isEqualTo(Submission.DUPLICATE);
    assertThat(throttle.submit("b", Cost.of(0, 10), "t", BULK)).isEqualTo(Submission.ACCEPTED);
    assertThat(throttle.submit("c", Cost.of(0, 10), "t", BULK)).isEqualTo(Submission.QUEUE_FULL);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("a", "b");
    assertThat(throttle.submit("a", Cost.of(0, 10), "t", BULK))
        .as("still in flight")
        .isEqualTo(Submission.DUPLICATE);
    throttle.complete("a");
    assertThat(throttle.submit("a", Cost.of(0, 10), "t", BULK)).isEqualTo(Submission.ACCEPTED);
  }

  @Test
  void shouldCancelQueuedJobs() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    throttle.submit("a", ONE, "t", BULK);
    throttle.submit("b", ONE, "t", BULK);

    assertThat(throttle.cancel("a")).isTrue();
    assertThat(throttle.cancel("a")).isFalse();
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("b");
    assertThat(throttle.nextWakeup()).isEmpty();
  }

  @Test
  void shouldRefundTokensWhenAJobUsedFewerThanEstimated() {
    Throttle<String> throttle = throttle(new QuotaLimits(600, 0, 60_000, 0, 6));
    ticker.advance(Duration.ofMinutes(1)); // 600 tokens of burst
    throttle.submit("a", Cost.of(1, 500), "t", BULK);
    assertThat(throttle.drain()).containsExactly("a");

    throttle.correct("a", 200);

    assertThat(throttle.pool().snapshot().buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available())
        .isCloseTo(400, within(1e-9));
  }

  @Test
  void shouldPauseDispatchAfterRateLimit() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    for (int i = 0; i < 10; i++) {
      throttle.submit("j" + i, ONE, "t", BULK);
    }
    ticker.advance(Duration.ofMinutes(1));

    throttle.onRateLimited(Duration.ofSeconds(7));

    assertThat(throttle.drain()).isEmpty();
    assertThat(throttle.nextWakeup()).contains(Duration.ofSeconds(7));
    assertThat(registry.get("editstream.throttle.rate.limited").counter().count()).isEqualTo(1);
  }

  @Test
  void shouldRecordWaitTimeAndQueueLength() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    throttle.submit("a", ONE, "t", BULK);
    ticker.advance(Duration.ofSeconds(2));
    throttle.submit("b", ONE, "t", BULK);
    throttle.submit("c", ONE, "t", BULK);
    assertThat(registry.get("editstream.throttle.queued").gauge().value()).isEqualTo(3);
    ticker.advance(Duration.ofSeconds(1)); // ~9.9 tokens, capacity 6

    assertThat(throttle.drain()).containsExactly("a", "b", "c");

    Timer wait = registry.get("editstream.throttle.wait").tag("pool", "flash").timer();
    assertThat(wait.count()).isEqualTo(3);
    assertThat(wait.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3000 + 1000 + 1000);
    assertThat(throttle.stats().totalWait()).isEqualTo(Duration.ofSeconds(5));
    assertThat(registry.get("editstream.throttle.queued").gauge().value()).isZero();
  }

  private void runByWakeups(Throttle<String> throttle, Duration total, List<String> out) {
    long end = ticker.read() + total.toNanos();
    while (ticker.read() < end) {
      out.addAll(throttle.drain());
      ticker.advance(throttle.nextWakeup().orElseThrow());
    }
  }
}
