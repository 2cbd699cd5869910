package io.editstream.processor.throttle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Objects;

/**
 * A requests-per-day counter that resets at midnight America/Los_Angeles, as Google's RPD does.
 * Days are calendar days in that zone, so the day that starts daylight saving time lasts 23 hours
 * and the day that ends it 25 hours. The wall time comes from an injected {@link Clock}; a clock
 * that goes back to an earlier day does not reset anything.
 *
 * <p>The limit may be fractional (an instance's share of the pool); a request passes while {@code
 * used + n <= limit}. Thread-safe.
 */
public final class DailyQuota {
  /** The zone in which Google's daily quotas reset. */
  public static final ZoneId PACIFIC = ZoneId.of("America/Los_Angeles");

  private final Clock clock;
  private double limit;
  private LocalDate day;
  private long used;

  /**
   * @param limit requests allowed per Pacific day, at least 0
   * @param clock the wall-clock time source
   */
  public DailyQuota(double limit, Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    setLimit(limit);
    this.day = today();
  }

  /** Counts {@code n} requests against today if they fit; otherwise counts nothing. */
  public synchronized boolean tryAcquire(long n) {
    requireNonNegative(n);
    roll();
    if (used + n > limit) {
      return false;
    }
    used += n;
    return true;
  }

  /** Counts {@code n} requests that were made anyway, even beyond the limit. */
  public synchronized void forceAcquire(long n) {
    requireNonNegative(n);
    roll();
    used += n;
  }

  /** Un-counts {@code n} requests of today (e.g. a call that never reached the server). */
  public synchronized void refund(long n) {
    requireNonNegative(n);
    roll();
    used = Math.max(0, used - n);
  }

  /**
   * Counts {@code n} requests made on {@code day} before this counter existed (restored from a
   * durable count, e.g. after a restart or a rebalance). Counted only if {@code day} is today: an
   * earlier day's requests no longer matter.
   */
  public synchronized void restore(LocalDate day, long n) {
    requireNonNegative(n);
    roll();
    if (day.equals(this.day)) {
      used += n;
    }
  }

  /**
   * Un-counts {@code n} requests made on {@code day} that another counter takes over (their task
   * moved elsewhere). Only if {@code day} is today: earlier days were reset already.
   */
  public synchronized void release(LocalDate day, long n) {
    requireNonNegative(n);
    roll();
    if (day.equals(this.day)) {
      used = Math.max(0, used - n);
    }
  }

  /** Requests still allowed today (may be fractional with a fractional limit). */
  public synchronized double remaining() {
    roll();
    return Math.max(0, limit - used);
  }

  /** Requests counted today. */
  public synchronized long used() {
    roll();
    return used;
  }

  public synchronized double limit() {
    return limit;
  }

  /** Changes the daily limit (e.g. a new share); what was used today stays used. */
  public synchronized void setLimit(double limit) {
    if (Double.isNaN(limit) || Double.isInfinite(limit) || limit < 0) {
      throw new IllegalArgumentException("limit must be a finite number >= 0 but was " + limit);
    }
    this.limit = limit;
  }

  /** The Pacific calendar day currently counted. */
  public synchronized LocalDate day() {
    roll();
    return day;
  }

  /** The instant of the next reset (the next midnight in Los Angeles). */
  public synchronized Instant nextReset() {
    roll();
    return day.plusDays(1).atStartOfDay(PACIFIC).toInstant();
  }

  /** The first midnight in Los Angeles after {@code now}: when Google's per-day quotas reset. */
  public static Instant nextReset(Instant now) {
    return LocalDate.ofInstant(now, PACIFIC).plusDays(1).atStartOfDay(PACIFIC).toInstant();
  }

  /** Time from now until the next reset. */
  public synchronized Duration untilReset() {
    return Duration.between(clock.instant(), nextReset());
  }

  private void roll() {
    LocalDate today = today();
    if (today.isAfter(day)) {
      day = today;
      used = 0;
    }
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), PACIFIC);
  }

  private static void requireNonNegative(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0 but was " + n);
    }
  }
}
