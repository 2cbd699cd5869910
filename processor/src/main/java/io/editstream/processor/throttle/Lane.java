package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import java.util.ArrayDeque;

/**
 * One per-minute bucket of a {@link QuotaPool} at this instance's share: a {@link TokenBucket}
 * whose capacity and rate are derived so that no sliding window ever admits more than the share of
 * the limit (the proof is on {@link QuotaPool}). Not thread-safe; guarded by the pool.
 */
final class Lane {
  private final Bucket bucket;
  private final long limit;
  private final double poolBurst;
  private final long windowNanos;
  private final TokenBucket tokens;
  // The configured window plus the margin the pool learned from late 429s (only grows).
  private long effectiveWindowNanos;

  private double share;
  // Extra capacity for single costs larger than share * burst, requested within the last window.
  private final WindowMax demandExcess = new WindowMax();
  // Extra capacity values that were in effect, keyed by the time they stopped being in effect.
  private final WindowMax excessHistory = new WindowMax();
  private double capacityExcess;
  // Headroom (tokens - capacity) at every event, keyed by event sequence: for exact refunds.
  private final WindowMax headroom = new WindowMax();
  private long seq;

  private final ArrayDeque<long[]> usage = new ArrayDeque<>();
  private long usedInWindow;

  Lane(Bucket bucket, long limit, double poolBurst, long windowNanos, Ticker ticker) {
    this.bucket = bucket;
    this.limit = limit;
    this.poolBurst = poolBurst;
    this.windowNanos = windowNanos;
    this.effectiveWindowNanos = windowNanos;
    // Start empty: a new instance (or one whose share just rose) must not add a burst on top of
    // what the previous owners of its share admitted in the current window.
    this.tokens = new TokenBucket(0, 0, 0, ticker);
  }

  Bucket bucket() {
    return bucket;
  }

  long limit() {
    return limit;
  }

  /**
   * Brings the lane to {@code now} and applies the share, the adaptive rate factor and the learned
   * window margin ({@code marginNanos} must never shrink: the bound then holds for the wider
   * window, and so for every narrower one).
   */
  void update(long now, double share, double rateFactor, long marginNanos) {
    effectiveWindowNanos = Math.max(effectiveWindowNanos, windowNanos + marginNanos);
    long windowStart = now - effectiveWindowNanos;
    demandExcess.evictBefore(windowStart);
    excessHistory.evictBefore(windowStart);
    headroom.evictBefore(windowStart);
    while (!usage.isEmpty() && usage.peekFirst()[0] <= now - windowNanos) {
      usedInWindow -= usage.pollFirst()[1];
    }
    double newExcess = demandExcess.maxFrom(Long.MIN_VALUE, 0);
    if (newExcess != capacityExcess) {
      excessHistory.add(now, now, capacityExcess);
      capacityExcess = newExcess;
    }
    // The rate pays for every capacity that was in effect during the last window, so raising and
    // then lowering the capacity cannot smuggle a second burst into one window.
    double heldExcess = Math.max(capacityExcess, excessHistory.maxFrom(Long.MIN_VALUE, 0));
    double capacity = share * poolBurst + capacityExcess;
    double perWindow = Math.max(0, share * (limit - poolBurst) - heldExcess);
    if (capacity != tokens.capacity(now)) {
      noteHeadroom(now);
      tokens.setCapacity(capacity, now);
      noteHeadroom(now);
    }
    tokens.setRate(rateFactor * perWindow * 1e9 / effectiveWindowNanos, now);
    this.share = share;
  }

  /**
   * Registers that a single cost of {@code n} wants to pass; grows the capacity if it is larger
   * than the share of the burst. Returns false if it can never pass at this share.
   */
  boolean registerDemand(long n, long now) {
    double base = share * poolBurst;
    if (n <= base) {
      return true;
    }
    double excess = n - base;
    if (excess > maxExcess()) {
      return false;
    }
    demandExcess.add(now, now, excess);
    return true;
  }

  /** Whether a single cost of {@code n} could ever pass at the given share. */
  boolean fits(long n, double atShare) {
    return n <= atShare * poolBurst + maxExcess(atShare);
  }

  boolean hasRoom(long n, long now) {
    return tokens.available(now) >= n;
  }

  long nanosUntil(long n, long now) {
    return tokens.nanosUntilAvailable(n, now);
  }

  /** Charges {@code n} (room must have been checked); returns the event sequence for refunds. */
  long charge(long n, long now) {
    noteHeadroom(now);
    if (!tokens.tryAcquire(n, now)) {
      throw new IllegalStateException("charged " + n + " without room in " + bucket.tag());
    }
    usage.addLast(new long[] {now, n});
    usedInWindow += n;
    return noteHeadroom(now);
  }

  /**
   * Gives back {@code delta} for a charge at event {@code chargeSeq}, exactly as much as the bucket
   * would now hold had the charge been smaller from the start (it cannot be more: tokens the
   * smaller charge would have left would have been clipped at the capacity).
   */
  double refund(long delta, long chargeSeq, long chargedAt, long now) {
    if (chargedAt <= now - effectiveWindowNanos) {
      return 0; // outside every window that still matters
    }
    double current = tokens.available(now) - tokens.capacity(now);
    double worst = Math.max(current, headroom.maxFrom(chargeSeq, Double.NEGATIVE_INFINITY));
    double credit = Math.min(delta, -worst);
    if (credit <= 0) {
      return 0;
    }
    tokens.adjust(credit, now);
    return credit;
  }

  /** Charges {@code delta} more than was acquired (an under-estimate), possibly into debt. */
  void debit(long delta, long now) {
    noteHeadroom(now);
    tokens.adjust(-delta, now);
  }

  /** Drops all banked tokens (after a 429: the server says we are over). */
  void dropTokens(long now) {
    noteHeadroom(now);
    double available = tokens.available(now);
    if (available > 0) {
      tokens.adjust(-available, now);
    }
  }

  QuotaPool.BucketSnapshot snapshot(long now) {
    double shareLimit = share * limit;
    return new QuotaPool.BucketSnapshot(
        bucket,
        limit,
        shareLimit,
        tokens.capacity(now),
        tokens.available(now),
        tokens.ratePerSecond(),
        usedInWindow,
        shareLimit > 0 ? usedInWindow / shareLimit : 0);
  }

  double available(long now) {
    return tokens.available(now);
  }

  private double maxExcess() {
    return maxExcess(share);
  }

  private double maxExcess(double atShare) {
    // Half of the share's sustained budget: keeps the rate positive even after the share halves.
    return atShare * (limit - poolBurst) / 2;
  }

  private long noteHeadroom(long now) {
    seq++;
    headroom.add(seq, now, tokens.available(now) - tokens.capacity(now));
    return seq;
  }
}
