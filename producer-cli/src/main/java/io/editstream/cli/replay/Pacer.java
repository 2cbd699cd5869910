package io.editstream.cli.replay;

import java.util.function.LongSupplier;

/** Spaces events at most {@code perSecond} a second (no bursts). Time and sleep are injected. */
public final class Pacer {
  /** Sleeps for a number of nanoseconds. */
  @FunctionalInterface
  public interface Sleeper {
    void sleepNanos(long nanos) throws InterruptedException;
  }

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private long next = Long.MIN_VALUE;

  /**
   * @param perSecond events per second; 0 or less means no limit
   */
  public Pacer(double perSecond, LongSupplier nanoTime, Sleeper sleeper) {
    this.intervalNanos = perSecond <= 0 ? 0 : (long) (1_000_000_000L / perSecond);
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
  }

  public static Pacer system(double perSecond) {
    return new Pacer(
        perSecond,
        System::nanoTime,
        nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
  }

  /** Waits until the next event may happen. */
  public void acquire() throws InterruptedException {
    if (intervalNanos == 0) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (next == Long.MIN_VALUE || next < now) {
      next = now;
    }
    if (next > now) {
      sleeper.sleepNanos(next - now);
    }
    next += intervalNanos;
  }
}
