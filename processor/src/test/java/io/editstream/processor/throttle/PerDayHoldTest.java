package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A 429 naming a per-day quota holds the pool until midnight Pacific (issue 19.4); fake time. */
class PerDayHoldTest {
  private static final Cost ONE = Cost.of(0, 0);
  // 12:00 UTC = 05:00 PDT on 1 May 2026; the next reset is 2 May 00:00 PDT = 07:00 UTC.
  private static final Instant NOON_UTC = Instant.parse("2026-05-01T12:00:00Z");
  private static final Instant MIDNIGHT_PACIFIC = Instant.parse("2026-05-02T07:00:00Z");

  private final FakeTicker ticker = new FakeTicker();
  private final MutableClock clock = new MutableClock(NOON_UTC);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final QuotaPool pool =
      QuotaPool.builder("flash-image", QuotaLimits.perMinute(600, 6))
          .provider("ai-studio")
          .ticker(ticker)
          .clock(clock)
          .initialShare(1)
          .meterRegistry(registry)
          .build();

  private double heldUntilGauge() {
    return registry
        .get("editstream.throttle.held.until")
        .tag("pool", "flash-image")
        .gauge()
        .value();
  }

  @Test
  void shouldAdmitNothingUntilMidnightPacificAfterAPerDay429() {
    ticker.advance(Duration.ofSeconds(1)); // a pool starts without burst
    assertThat(pool.tryAcquire(ONE)).isPresent();

    pool.onDailyQuotaSpent();

    assertThat(pool.heldUntil()).contains(MIDNIGHT_PACIFIC);
    assertThat(pool.tryAcquire(ONE)).isEmpty();
    assertThat(pool.nextAvailable(ONE)).contains(Duration.between(NOON_UTC, MIDNIGHT_PACIFIC));
    ticker.advance(Duration.ofMinutes(5)); // the per-minute buckets refill; the day does not
    clock.advance(Duration.ofMinutes(5));
    assertThat(pool.tryAcquire(ONE)).isEmpty();

    clock.set(MIDNIGHT_PACIFIC.minusMillis(1));
    assertThat(pool.tryAcquire(ONE)).isEmpty();
    clock.set(MIDNIGHT_PACIFIC);
    assertThat(pool.tryAcquire(ONE)).isPresent();
    assertThat(pool.heldUntil()).isEmpty();
  }

  @Test
  void shouldSayUntilWhenThePoolIsHeldAndCountThe429() {
    assertThat(heldUntilGauge()).isZero();

    pool.onDailyQuotaSpent();

    assertThat(heldUntilGauge()).isEqualTo((double) MIDNIGHT_PACIFIC.getEpochSecond());
    assertThat(
            registry
                .get("editstream.throttle.rate.limited")
                .tag("pool", "flash-image")
                .counter()
                .count())
        .isEqualTo(1.0);
    clock.set(MIDNIGHT_PACIFIC);
    assertThat(heldUntilGauge()).isZero();
  }

  @Test
  void shouldNotCutTheRateForAPerDay429() {
    pool.onDailyQuotaSpent();
    clock.set(MIDNIGHT_PACIFIC);

    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
  }

  @Test
  void shouldHoldUntilTheNextMidnightAcrossADaylightSavingChange() {
    // 2026-11-01 is the day PDT ends: that Pacific day lasts 25 hours.
    clock.set(Instant.parse("2026-11-01T08:00:00Z")); // 01:00 PDT, 1 November

    pool.onDailyQuotaSpent();

    assertThat(pool.heldUntil()).contains(Instant.parse("2026-11-02T08:00:00Z")); // 00:00 PST
  }

  @Test
  void shouldKeepTheLaterHoldWhenManyCallsInFlightAnswer429() {
    pool.onDailyQuotaSpent();
    clock.advance(Duration.ofMinutes(1));
    pool.onDailyQuotaSpent();

    assertThat(pool.heldUntil()).contains(MIDNIGHT_PACIFIC);
  }
}
