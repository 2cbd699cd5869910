package io.editstream.processor.provider;

import java.time.Duration;
import java.time.Instant;

/**
 * A small circuit breaker over an injected clock: it opens after {@code threshold} consecutive
 * failures, stays open for {@code coolDown}, then lets exactly one probe call through (half-open);
 * the probe's success closes it, its failure opens it again. Thread-safe.
 */
final class CircuitBreaker {

  /** The states, in the order of their gauge values. */
  enum State {
    CLOSED,
    HALF_OPEN,
    OPEN
  }

  private final int threshold;
  private final Duration coolDown;
  private State state = State.CLOSED;
  private int consecutiveFailures;
  private Instant openUntil = Instant.MIN;
  private boolean probeInFlight;

  CircuitBreaker(int threshold, Duration coolDown) {
    this.threshold = threshold;
    this.coolDown = coolDown;
  }

  /** Whether a call may go now; in half-open state only one probe at a time. */
  synchronized boolean tryAcquire(Instant now) {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (now.isBefore(openUntil)) {
          return false;
        }
        state = State.HALF_OPEN;
        probeInFlight = true;
        return true;
      case HALF_OPEN:
      default:
        if (probeInFlight) {
          return false;
        }
        probeInFlight = true;
        return true;
    }
  }

  /** Whether {@link #tryAcquire} would let a call go now (without taking a probe). */
  synchronized boolean wouldAdmit(Instant now) {
    return switch (state) {
      case CLOSED -> true;
      case OPEN -> !now.isBefore(openUntil);
      case HALF_OPEN -> !probeInFlight;
    };
  }

  /** The provider answered as a healthy provider does (an image, or a verdict on the job). */
  synchronized void onSuccess() {
    state = State.CLOSED;
    consecutiveFailures = 0;
    probeInFlight = false;
  }

  /** The provider failed as an unhealthy one does (5xx, timeout, connection). */
  synchronized void onFailure(Instant now) {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || consecutiveFailures >= threshold) {
      open(now);
    }
  }

  /** Opens at once (a misconfigured provider: bad credentials, unknown model). */
  synchronized void trip(Instant now) {
    consecutiveFailures = Math.max(consecutiveFailures, threshold);
    open(now);
  }

  /** The call says nothing about health (a short quota pause): release a probe, keep the state. */
  synchronized void onNeutral() {
    probeInFlight = false;
  }

  private void open(Instant now) {
    state = State.OPEN;
    openUntil = now.plus(coolDown);
    probeInFlight = false;
  }

  /** The state as of now (an expired open state reads as half-open: a probe may go). */
  synchronized State state(Instant now) {
    return state == State.OPEN && !now.isBefore(openUntil) ? State.HALF_OPEN : state;
  }

  /** When a call may go again: now unless open. */
  synchronized Instant availableAt(Instant now) {
    return state == State.OPEN && now.isBefore(openUntil) ? openUntil : now;
  }
}
