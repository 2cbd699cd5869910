package io.editstream.processor.throttle;

/**
 * Proof that a {@link Cost} was admitted by a {@link QuotaPool}; hand it back to {@link
 * QuotaPool#correct} once the model reports the actual input tokens. Opaque otherwise.
 */
public final class Permit {
  final QuotaPool pool;
  private final Cost cost;
  private final long admittedAtNanos;
  // Event sequence number in the token lane at the moment of the charge (for exact refunds).
  final long tokenSeq;
  private boolean corrected;

  Permit(QuotaPool pool, Cost cost, long admittedAtNanos, long tokenSeq) {
    this.pool = pool;
    this.cost = cost;
    this.admittedAtNanos = admittedAtNanos;
    this.tokenSeq = tokenSeq;
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
    if (corrected) {
      return false;
    }
    corrected = true;
    return true;
  }

  @Override
  public String toString() {
    return "Permit[" + cost + " at " + admittedAtNanos + "ns]";
  }
}
