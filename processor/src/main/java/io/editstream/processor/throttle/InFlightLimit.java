package io.editstream.processor.throttle;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/** Model calls in flight per instance, shared by all tasks: the bound of DESIGN.md §3. */
public final class InFlightLimit {
  private final int max;
  private final Semaphore permits;
  private final AtomicInteger peak = new AtomicInteger();

  public InFlightLimit(int max, MeterRegistry registry) {
    this.max = max;
    this.permits = new Semaphore(max);
    Gauge.builder("editstream.model.in.flight", this, InFlightLimit::inFlight)
        .description("Model calls in flight")
        .register(registry);
    Gauge.builder("editstream.model.in.flight.peak", peak, AtomicInteger::get).register(registry);
  }

  boolean tryAcquire() {
    if (!permits.tryAcquire()) {
      return false;
    }
    peak.accumulateAndGet(inFlight(), Math::max);
    return true;
  }

  void release() {
    permits.release();
  }

  /**
   * Takes every free slot at once; returns how many (the caller gives back what it does not use).
   */
  int acquireFree() {
    return permits.drainPermits();
  }

  void release(int n) {
    if (n > 0) {
      permits.release(n);
    }
  }

  /** Records the current count in the peak gauge. */
  void notePeak() {
    peak.accumulateAndGet(inFlight(), Math::max);
  }

  public int inFlight() {
    return max - permits.availablePermits();
  }

  public int peak() {
    return peak.get();
  }

  public int max() {
    return max;
  }
}
