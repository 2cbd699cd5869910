package io.editstream.processor.throttle;

/**
 * Proof that a {@link Cost} was admitted by a {@link QuotaPool}; hand it back to {@link
 * QuotaPool#correct} once the model reports the actual input tokens. Opaque otherwise.
 */
final class Permit {
  final QuotaPool pool;
  private final Cost cost;
  private final long admittedAtNanos;
  // Event sequence number of the charge in each lane, indexed by Bucket.ordinal() (exact refunds).
  private final long[] seqs;
  private boolean corrected;
  private boolean refunded;

  Permit(QuotaPool pool, Cost cost, long admittedAtNanos, long[] seqs) {
    this.pool = pool;
    this.cost = cost;
    this.admittedAtNanos = admittedAtNanos;
    this.seqs = seqs;
  }

  /** The event sequence of the charge in {@code bucket}'s lane (-1 if not charged there). */
  long seq(Bucket bucket) {
    return seqs[bucket.ordinal()];
  }

  /** The cost that was charged. */
  public Cost cost() {
    return cost;
  }

  /** Ticker time of admission. */
  public long admittedAtNanos() {
    return admittedAtNanos;
  }

  /** Marks the permit corrected; returns false if it already was (corrections apply once). */
  boolean markCorrected() {
    if (corrected || refunded) {
      return false;
    }
    corrected = true;
    return true;
  }

  /** Marks the permit refunded; returns false if it already was (refunds apply once). */
  boolean markRefunded() {
    if (refunded) {
      return false;
    }
    refunded = true;
    return true;
  }

  boolean corrected() {
    return corrected;
  }

  @Override
  public String toString() {
    return "Permit[" + cost + " at " + admittedAtNanos + "ns]";
  }
}
