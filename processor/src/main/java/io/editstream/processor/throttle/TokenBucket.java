package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A token bucket with fractional tokens: up to {@code capacity} tokens, refilled continuously at
 * {@code ratePerSecond}, time read from an injected {@link Ticker} (nanoseconds).
 *
 * <p>Callers may rely on:
 *
 * <ul>
 *   <li>Tokens never exceed the capacity, so a long quiet period banks at most one capacity.
 *   <li>In any interval of length {@code T}, the bucket admits at most {@code tokens at the start +
 *       rate * T} (plus whatever was handed back with {@link #refund}). With capacity {@code C}
 *       that is {@code C + rate * T}: a window bound of {@code L} needs {@code rate * T <= L - C}
 *       (see {@link QuotaPool} for how that is used).
 *   <li>{@link #setCapacity} and {@link #setRate} take effect from now: earlier time is refilled at
 *       the old rate; a lower capacity drops the tokens above it, a higher one grants nothing.
 *   <li>{@link #adjust} with a negative delta may take the bucket below zero (a debt paid back by
 *       refill before anything else is admitted).
 * </ul>
 *
 * <p>Thread-safe (every method is synchronized); a time that goes backwards is treated as no time.
 */
final class TokenBucket {
  private static final double NANOS_PER_SECOND = 1e9;

  private final Ticker ticker;
  private double capacity;
  private double ratePerSecond;
  private double tokens;
  private long lastNanos;

  /**
   * @param capacity maximum tokens, at least 0
   * @param ratePerSecond refill rate, at least 0
   * @param initialTokens tokens at creation, between 0 and capacity (0 = start empty)
   * @param ticker the nanosecond time source
   */
  public TokenBucket(double capacity, double ratePerSecond, double initialTokens, Ticker ticker) {
    requireFinite("capacity", capacity, 0);
    requireFinite("ratePerSecond", ratePerSecond, 0);
    requireFinite("initialTokens", initialTokens, 0);
    if (initialTokens > capacity) {
      throw new IllegalArgumentException(
          "initialTokens must be <= capacity (" + capacity + ") but was " + initialTokens);
    }
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.tokens = initialTokens;
    this.lastNanos = ticker.read();
  }

  /** Takes {@code n} tokens if available now; otherwise takes nothing. */
  public synchronized boolean tryAcquire(double n) {
    return tryAcquire(n, ticker.read());
  }

  /**
   * How long until {@code n} tokens are available at the current rate, {@link Duration#ZERO} if
   * now; empty if never (more than the capacity, or no refill).
   */
  public synchronized Optional<Duration> timeUntilAvailable(double n) {
    long nanos = nanosUntilAvailable(n, ticker.read());
    return nanos == Long.MAX_VALUE ? Optional.empty() : Optional.of(Duration.ofNanos(nanos));
  }

  /**
   * Gives back {@code n} tokens (e.g. for a call that never reached the server), up to capacity.
   */
  public synchronized void refund(double n) {
    requireFinite("n", n, 0);
    adjust(n, ticker.read());
  }

  /**
   * Adds {@code delta} tokens: positive gives back (capped at the capacity), negative consumes more
   * than was acquired (e.g. the actual token count exceeded the estimate), possibly into debt.
   */
  public synchronized void adjust(double delta) {
    requireFinite("delta", delta, Double.NEGATIVE_INFINITY);
    adjust(delta, ticker.read());
  }

  /** Changes the refill rate from now on. */
  public synchronized void setRate(double ratePerSecond) {
    setRate(ratePerSecond, ticker.read());
  }

  /** Changes the capacity from now on; tokens above a lower capacity are dropped. */
  public synchronized void setCapacity(double capacity) {
    setCapacity(capacity, ticker.read());
  }

  /** Tokens available now (negative while in debt). */
  public synchronized double available() {
    return available(ticker.read());
  }

  public synchronized double capacity() {
    return capacity;
  }

  public synchronized double ratePerSecond() {
    return ratePerSecond;
  }

  // ---- explicit-time variants, used by QuotaPool so one operation sees one instant ----

  synchronized boolean tryAcquire(double n, long nowNanos) {
    requireFinite("n", n, 0);
    refill(nowNanos);
    if (tokens >= n) {
      tokens -= n;
      return true;
    }
    return false;
  }

  synchronized long nanosUntilAvailable(double n, long nowNanos) {
    refill(nowNanos);
    double missing = n - tokens;
    if (missing <= 0) {
      return 0;
    }
    if (n > capacity || ratePerSecond <= 0) {
      return Long.MAX_VALUE;
    }
    double nanos = Math.ceil(missing / ratePerSecond * NANOS_PER_SECOND);
    return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) nanos;
  }

  synchronized void adjust(double delta, long nowNanos) {
    refill(nowNanos);
    tokens = Math.min(capacity, tokens + delta);
  }

  synchronized void setRate(double ratePerSecond, long nowNanos) {
    requireFinite("ratePerSecond", ratePerSecond, 0);
    refill(nowNanos);
    this.ratePerSecond = ratePerSecond;
  }

  synchronized void setCapacity(double capacity, long nowNanos) {
    requireFinite("capacity", capacity, 0);
    refill(nowNanos);
    this.capacity = capacity;
    // Shrinking drops banked tokens; growing grants nothing (tokens only arrive by refill).
    tokens = Math.min(tokens, capacity);
  }

  synchronized double capacity(long nowNanos) {
    return capacity;
  }

  synchronized double available(long nowNanos) {
    refill(nowNanos);
    return tokens;
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed <= 0) {
      return;
    }
    lastNanos = nowNanos;
    if (tokens < capacity) {
      tokens = Math.min(capacity, tokens + ratePerSecond * (elapsed / NANOS_PER_SECOND));
    }
  }

  private static void requireFinite(String field, double value, double min) {
    if (Double.isNaN(value) || Double.isInfinite(value) || value < min) {
      throw new IllegalArgumentException(
          field + " must be a finite number >= " + min + " but was " + value);
    }
  }

  @Override
  public synchronized String toString() {
    return "TokenBucket[tokens="
        + tokens
        + ", capacity="
        + capacity
        + ", rate="
        + ratePerSecond
        + "/s]";
  }
}
