package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import java.util.ArrayDeque;

/**
 * One per-minute bucket of a {@link QuotaPool} at this instance's share: a {@link TokenBucket}
 * whose capacity and rate are derived so that no sliding window ever admits more than the share of
 * the limit (the proof is on {@link QuotaPool}). Not thread-safe; guarded by the pool.
 */
final class Lane {
  /**
   * How much faster than the steady rate the sliding log may admit (while making up a gap): a burst
   * of calls at a cold start reaches the server later than admitted, and the log would release
   * their slots one window after their admission, before the server does. At 1.5 a gap is made up
   * within twice its length, so a gap of up to a third of the window is made up before it leaves
   * the window (at 1.25, a fifth: a 16 s restart in side-by-side left ~95 calls unmade).
   */
  static final double CATCH_UP_RATE = 1.5;

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

  // This lane's own admissions, [nanos, n, charge sequence] in time order: stamped when admitted,
  // and again when the call leaves (see restamp).
  private final ArrayDeque<long[]> usage = new ArrayDeque<>();
  private long usedInWindow;

  // What earlier owners of the pool admitted in the last window ([nanos, n], oldest first): other
  // instances, or this one before a restart, as restored from the tasks' stores. Null until a
  // history is restored: then the lane is the plain bucket above. See restoreHistory.
  private ArrayDeque<long[]> restored;
  // When the lane last left the full share or restored a history: for one window, admissions after
  // it are bounded by the share of what the window before it left (see allowanceHolds).
  private long allowanceSince = Long.MIN_VALUE;
  private double rateFactor = 1;
  // Paces the sliding log at CATCH_UP_RATE times the steady rate; empty when the log starts.
  private final TokenBucket pacer;
  // The sliding log's schedule: the steady rate (the limit per window), banking what stalls and
  // gaps leave unused, up to a third of the limit (what the pacer makes up within the window); the
  // pacer lets the bank out. So the log runs flat at the steady rate and catches up only what was
  // missed (the log itself keeps every window within the limit).
  private final TokenBucket schedule;

  Lane(Bucket bucket, long limit, double poolBurst, long windowNanos, Ticker ticker) {
    this.bucket = bucket;
    this.limit = limit;
    this.poolBurst = poolBurst;
    this.windowNanos = windowNanos;
    this.effectiveWindowNanos = windowNanos;
    // Start empty: a new instance (or one whose share just rose) must not add a burst on top of
    // what the previous owners of its share admitted in the current window.
    this.tokens = new TokenBucket(0, 0, 0, ticker);
    this.pacer = new TokenBucket(0, 0, 0, ticker);
    this.schedule = new TokenBucket(0, 0, 0, ticker);
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
    while (!usage.isEmpty() && usage.peekFirst()[0] <= windowStart) {
      usedInWindow -= usage.pollFirst()[1];
    }
    if (restored != null) {
      while (!restored.isEmpty() && restored.peekFirst()[0] <= windowStart) {
        restored.pollFirst();
      }
      if (this.share < 1.0 && share >= 1.0) {
        // Entering the sliding log: no burst; it makes up only what the window missed.
        startLog(now, catchUp(now));
      }
      if (this.share >= 1.0 && share < 1.0) {
        // Leaving the sliding log: what it admitted may be bunched anywhere in the window, so for
        // one window the allowance decides, not what the bucket banked meanwhile.
        allowanceSince = now;
        dropTokens(now);
      }
    }
    this.rateFactor = rateFactor;
    if (restored != null) {
      applyLogRates(now);
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
    if (restored != null) {
      if (alone()) {
        return known(now, Long.MAX_VALUE) + n <= cap()
            && pacer.available(now) >= n
            && schedule.available(now) >= n;
      }
      if (!allowanceHolds(n, now)) {
        return false;
      }
    }
    return tokens.available(now) >= n;
  }

  long nanosUntil(long n, long now) {
    if (restored != null) {
      if (alone()) {
        return Math.max(
            nanosUntilKnownFits(n, now, cap(), Long.MAX_VALUE),
            Math.max(pacer.nanosUntilAvailable(n, now), schedule.nanosUntilAvailable(n, now)));
      }
      long wait = tokens.nanosUntilAvailable(n, now);
      if (!allowanceHolds(n, now)) {
        long allowanceEnds = allowanceSince + effectiveWindowNanos - now;
        double room = share * cap() - admittedSinceAllowance(now) - n;
        long untilRoom =
            room < 0 || share <= 0
                ? Long.MAX_VALUE
                : nanosUntilKnownFits(0, now, cap() - room / share, allowanceSince);
        wait = Math.max(wait, Math.min(allowanceEnds, untilRoom));
      }
      return wait;
    }
    return tokens.nanosUntilAvailable(n, now);
  }

  /**
   * What earlier owners admitted: {@code [nanos, n]} on this lane's ticker, oldest first (issue 17:
   * the calls a restart's gap did not make can still be made, and a joining instance must know what
   * was admitted before it). From then on:
   *
   * <ul>
   *   <li>At the full share the lane is a sliding log: it admits while everything known to be
   *       admitted in the last window (the history and its own) plus the cost stays within the
   *       {@code limit} (times the rate factor). Nobody else admits at the full share, and every
   *       call of an earlier owner is in the history, so this is exact; after a crash it makes up
   *       the gap (at up to {@link #CATCH_UP_RATE} times the steady rate, as far as the in-flight
   *       bound lets it), and every later window holds the limit and no more.
   *   <li>Below the full share the bucket admits as before; for one window after leaving the full
   *       share, or after a history is restored (a joining instance), at T, the admissions since T
   *       also stay within {@code share × (limit - known(window, T))}: summed over instances whose
   *       shares add up to at most 1, a window holds at most what was known before T plus the rest
   *       of the limit. A joining instance must know all of that history (from the tasks it
   *       restores); one that does not can overrun the window where the sliding log left its
   *       admissions bunched (QuotaPoolHistoryTest).
   * </ul>
   *
   * Replaces the previous history (the caller merges); entries older than the window are dropped.
   * {@code unseen} bounds what earlier owners may have admitted after the history was written.
   */
  void restoreHistory(java.util.NavigableMap<Long, Long> admissions, long unseen, long now) {
    ArrayDeque<long[]> entries = new ArrayDeque<>();
    admissions
        .tailMap(now - effectiveWindowNanos, false)
        .forEach((at, n) -> entries.addLast(new long[] {at, n}));
    double banked = restored != null ? schedule.available(now) : 0;
    restored = entries;
    double gap = catchUp(now); // before the unseen: they were not missed
    if (unseen > 0) {
      // Admitted by an earlier owner after its last snapshot (at most this many): counted as if
      // admitted now, the latest they can have been (or with the current second, counted at its
      // end: the log stays in time order).
      long at = entries.isEmpty() ? now : Math.max(now, entries.peekLast()[0]);
      entries.addLast(new long[] {at, unseen});
    }
    // A new history is a new "before": admissions from here on are bounded by what it left.
    allowanceSince = now;
    dropTokens(now);
    startLog(now, Math.max(banked, gap));
  }

  /** This lane's own admissions in the last window: {@code [nanos, n]}, oldest first. */
  java.util.List<long[]> ownAdmissions() {
    java.util.List<long[]> out = new java.util.ArrayList<>(usage.size());
    for (long[] e : usage) {
      out.add(e.clone());
    }
    return out;
  }

  /**
   * Empties the pacer (capacity: the burst, at least one call) and gives the schedule {@code
   * banked} calls to make up.
   */
  private void startLog(long now, double banked) {
    applyLogRates(now);
    pacer.adjust(-pacer.available(now), now);
    schedule.adjust(Math.min(banked, bankMax()) - schedule.available(now), now);
  }

  /** The pacer's and the schedule's rates and capacities at the current rate factor and window. */
  private void applyLogRates(long now) {
    pacer.setCapacity(pacerCapacity(), now);
    pacer.setRate(CATCH_UP_RATE * steadyRate(), now);
    schedule.setCapacity(bankMax(), now);
    schedule.setRate(steadyRate(), now);
  }

  /** The pacer holds the burst, and never less than one whole call. */
  private double pacerCapacity() {
    return Math.max(1, poolBurst);
  }

  /**
   * What the log may make up when it starts: what the steady rate would have admitted since the
   * oldest admission the window still holds (own or of an earlier owner), less what was admitted
   * (so never more than the window's room). Nothing without any admission in the window: a first
   * start, or one after a long stop, paces from empty. A restart that spends a moment below the
   * full share (its tasks arrive one by one) still makes up its gap.
   */
  private double catchUp(long now) {
    long oldest = Long.MAX_VALUE;
    if (!usage.isEmpty()) {
      oldest = usage.peekFirst()[0];
    }
    if (restored != null && !restored.isEmpty()) {
      oldest = Math.min(oldest, restored.peekFirst()[0]);
    }
    if (oldest == Long.MAX_VALUE) {
      return 0;
    }
    long span = Math.min(effectiveWindowNanos, Math.max(0, now - oldest));
    return Math.max(0, steadyRate() * span / 1e9 - known(now, Long.MAX_VALUE));
  }

  /**
   * The most the schedule banks: a third of the limit, what {@link #CATCH_UP_RATE} makes up before
   * it leaves the window (a longer idle time banks no more), and never less than the pacer holds,
   * so a small limit still passes whole calls (2 RPM: a third is less than one call).
   */
  private double bankMax() {
    return Math.max(pacerCapacity(), cap() / 3);
  }

  /** The sliding log's steady rate, calls per second: the limit per window. */
  private double steadyRate() {
    return rateFactor * limit * 1e9 / effectiveWindowNanos;
  }

  private boolean alone() {
    return share >= 1.0;
  }

  /**
   * What the known admissions of one window may add up to: the limit itself (times the rate
   * factor). The bucket keeps {@code burst} back because it only knows a rate, while the log counts
   * every admission, so it needs no margin beyond the window's.
   */
  private double cap() {
    return rateFactor * limit;
  }

  /** Known admissions (history and own) in the window ending {@code now}, at times <= upTo. */
  private long known(long now, long upTo) {
    long from = now - effectiveWindowNanos;
    long n = 0;
    for (long[] e : usage) {
      if (e[0] > from && e[0] <= upTo) {
        n += e[1];
      }
    }
    for (long[] e : restored) {
      if (e[0] > from && e[0] <= upTo) {
        n += e[1];
      }
    }
    return n;
  }

  private long admittedSinceAllowance(long now) {
    long n = 0;
    for (long[] e : usage) {
      if (e[0] > allowanceSince) {
        n += e[1];
      }
    }
    return n;
  }

  /** Within one window after a share change: the share of what the window before it left. */
  private boolean allowanceHolds(long n, long now) {
    if (now - allowanceSince >= effectiveWindowNanos) {
      return true;
    }
    double before = known(now, allowanceSince);
    return admittedSinceAllowance(now) + n <= share * (cap() - before);
  }

  /**
   * How long until the known admissions at times <= upTo in the window, plus {@code n}, fit {@code
   * cap}: the oldest leave the window first.
   */
  private long nanosUntilKnownFits(long n, long now, double cap, long upTo) {
    double excess = known(now, upTo) + n - cap;
    if (excess <= 0) {
      return 0;
    }
    long from = now - effectiveWindowNanos;
    // Both logs are in time order: walk them together, oldest first.
    java.util.Iterator<long[]> own = usage.iterator();
    java.util.Iterator<long[]> theirs = restored.iterator();
    long[] a = nextIn(own, from, upTo);
    long[] b = nextIn(theirs, from, upTo);
    while (a != null || b != null) {
      long[] e;
      if (b == null || (a != null && a[0] <= b[0])) {
        e = a;
        a = nextIn(own, from, upTo);
      } else {
        e = b;
        b = nextIn(theirs, from, upTo);
      }
      excess -= e[1];
      if (excess <= 0) {
        return e[0] + effectiveWindowNanos - now + 1;
      }
    }
    return Long.MAX_VALUE; // larger than the cap itself
  }

  /** The next entry of {@code it} in (from, upTo], or null: entries are in time order. */
  private static long[] nextIn(java.util.Iterator<long[]> it, long from, long upTo) {
    while (it.hasNext()) {
      long[] e = it.next();
      if (e[0] > upTo) {
        return null;
      }
      if (e[0] > from) {
        return e;
      }
    }
    return null;
  }

  /** Charges {@code n} (room must have been checked); returns the event sequence for refunds. */
  long charge(long n, long now) {
    noteHeadroom(now);
    if (restored != null && alone()) {
      // The sliding log decided (and its pacer); the bucket only keeps pace for when the share
      // drops again.
      pacer.adjust(-n, now);
      schedule.adjust(-n, now);
      tokens.adjust(-Math.min(n, Math.max(0, tokens.available(now))), now);
    } else if (!tokens.tryAcquire(n, now)) {
      throw new IllegalStateException("charged " + n + " without room in " + bucket.tag());
    }
    long seq = noteHeadroom(now);
    usage.addLast(new long[] {now, n, seq});
    usedInWindow += n;
    return seq;
  }

  /**
   * The call charged at event {@code chargeSeq} leaves only now: its admission counts from {@code
   * now} in the sliding log (and in what the history writes down), so its slot comes free one
   * window after it reached the server, not one window after it was granted. Between the two lie
   * the dispatch's commit and the loading of its images; on a cold start that is seconds, and the
   * server, which counts the call from its arrival, answered 429 when the log had freed the slot
   * too early (issue 17). Moving an admission later only ever makes the log stricter; the token
   * bucket is not touched. A charge no longer in the window, or unknown, is left alone.
   */
  void restamp(long chargeSeq, long chargedAt, long now) {
    java.util.Iterator<long[]> it = usage.descendingIterator();
    while (it.hasNext()) {
      long[] e = it.next();
      if (e[0] < chargedAt) {
        return; // the charge is stamped at chargedAt or later, so it is not in the log
      }
      if (e.length > 2 && e[2] == chargeSeq) {
        if (e[0] < now) {
          it.remove();
          // now is at least every stamp so far (one ticker), so the log stays in time order.
          usage.addLast(new long[] {now, e[1], chargeSeq});
        }
        return;
      }
    }
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
    if (restored != null) {
      usage.addLast(new long[] {now, delta}); // the sliding log counts it too
      usedInWindow += delta;
    }
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
