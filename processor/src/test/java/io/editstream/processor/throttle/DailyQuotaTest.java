package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DailyQuotaTest {

  @Test
  void shouldResetAtMidnightPacificNotUtc() {
    // 2026-06-15T23:59:59-07:00 (PDT) is 06:59:59Z on the 16th.
    MutableClock clock = new MutableClock(Instant.parse("2026-06-16T06:59:59Z"));
    DailyQuota quota = new DailyQuota(2, clock);
    assertThat(quota.tryAcquire(2)).isTrue();
    assertThat(quota.tryAcquire(1)).isFalse();
    assertThat(quota.day()).isEqualTo(LocalDate.of(2026, 6, 15));

    clock.advance(Duration.ofSeconds(1));

    assertThat(quota.day()).isEqualTo(LocalDate.of(2026, 6, 16));
    assertThat(quota.used()).isZero();
    assertThat(quota.tryAcquire(2)).isTrue();
  }

  @Test
  void shouldCountRestoredCallsOfTodayOnlyAndReleaseThemOnlyToday() {
    MutableClock clock = new MutableClock(Instant.parse("2026-06-16T06:00:00Z")); // 23:00 PDT
    DailyQuota quota = new DailyQuota(5, clock);
    LocalDate today = LocalDate.of(2026, 6, 15);
    quota.restore(today.minusDays(1), 3); // yesterday's calls no longer count
    quota.restore(today, 4);
    assertThat(quota.used()).isEqualTo(4);
    assertThat(quota.tryAcquire(2)).isFalse();
    assertThat(quota.tryAcquire(1)).isTrue();

    quota.release(today, 2); // that task moved elsewhere
    assertThat(quota.used()).isEqualTo(3);

    clock.advance(Duration.ofHours(1)); // midnight Pacific: a new day
    quota.release(today, 3); // yesterday's count leaving takes nothing from today's
    assertThat(quota.tryAcquire(1)).isTrue();
    assertThat(quota.used()).isEqualTo(1);
  }

  @Test
  void shouldNotResetAtUtcMidnight() {
    MutableClock clock = new MutableClock(Instant.parse("2026-06-15T23:59:00Z"));
    DailyQuota quota = new DailyQuota(1, clock);
    assertThat(quota.tryAcquire(1)).isTrue();

    clock.advance(Duration.ofMinutes(2)); // 00:01Z = 17:01 PDT, same Pacific day

    assertThat(quota.tryAcquire(1)).isFalse();
  }

  @ParameterizedTest(name = "{0}: a {2}-hour day")
  @CsvSource({
    "2026-03-08, 2026-03-08T08:00:00Z, 23", // spring forward: 02:00 PST -> 03:00 PDT
    "2026-11-01, 2026-11-01T07:00:00Z, 25", // fall back: 02:00 PDT -> 01:00 PST
    "2026-07-01, 2026-07-01T07:00:00Z, 24",
  })
  void shouldCountCalendarDaysAcrossDaylightSavingChanges(
      LocalDate day, Instant midnight, long hours) {
    MutableClock clock = new MutableClock(midnight);
    DailyQuota quota = new DailyQuota(1, clock);
    assertThat(quota.day()).isEqualTo(day);
    assertThat(quota.untilReset()).isEqualTo(Duration.ofHours(hours));
    assertThat(quota.tryAcquire(1)).isTrue();

    clock.advance(Duration.ofHours(hours).minusNanos(1));
    assertThat(quota.day()).isEqualTo(day);
    assertThat(quota.tryAcquire(1)).isFalse();

    clock.advance(Duration.ofNanos(1));
    assertThat(quota.day()).isEqualTo(day.plusDays(1));
    assertThat(quota.tryAcquire(1)).isTrue();
    assertThat(quota.nextReset())
        .isEqualTo(
            ZonedDateTime.of(day.plusDays(2).atStartOfDay(), DailyQuota.PACIFIC).toInstant());
  }

  @Test
  void shouldHonourFractionalLimitAndRefund() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-10T12:00:00Z"));
    DailyQuota quota = new DailyQuota(2.5, clock);

    assertThat(quota.tryAcquire(2)).isTrue();
    assertThat(quota.tryAcquire(1)).isFalse();
    assertThat(quota.remaining()).isEqualTo(0.5);
    quota.refund(1);
    assertThat(quota.tryAcquire(1)).isTrue();
  }

  @Test
  void shouldNotResetWhenClockGoesBackADay() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-10T12:00:00Z"));
    DailyQuota quota = new DailyQuota(1, clock);
    assertThat(quota.tryAcquire(1)).isTrue();

    clock.advance(Duration.ofDays(-1));

    assertThat(quota.tryAcquire(1)).isFalse();
  }
}
