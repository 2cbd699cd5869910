package io.editstream.processor.throttle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/** Drives pools with endless demand on a fake clock and measures what they admitted. */
final class Saturation {
  record Admission(int instance, long nanos, Permit permit) {}

  private final FakeTicker ticker;
  private final List<QuotaPool> pools;
  private final Supplier<Cost> costs;
  private final Cost[] pending;
  final List<Admission> admissions = new ArrayList<>();

  Saturation(FakeTicker ticker, List<QuotaPool> pools, Supplier<Cost> costs) {
    this.ticker = ticker;
    this.pools = pools;
    this.costs = costs;
    this.pending = new Cost[pools.size()];
  }

  /** Every step: advance the clock, then each pool admits its queue head until it refuses. */
  Saturation run(Duration total, LongSupplier stepNanos, Runnable everyStep) {
    long end = ticker.read() + total.toNanos();
    while (ticker.read() < end) {
      ticker.advanceNanos(stepNanos.getAsLong());
      everyStep.run();
      for (int i = 0; i < pools.size(); i++) {
        while (true) {
          if (pending[i] == null) {
            pending[i] = costs.get();
          }
          var permit = pools.get(i).tryAcquire(pending[i]);
          if (permit.isEmpty()) {
            break;
          }
          admissions.add(new Admission(i, ticker.read(), permit.get()));
          pending[i] = null;
        }
      }
    }
    return this;
  }

  Saturation run(Duration total, Duration step) {
    return run(total, step::toNanos, () -> {});
  }

  long total(ToLongFunction<Admission> amount) {
    return admissions.stream().mapToLong(amount).sum();
  }

  long total(Bucket bucket) {
    return total(a -> a.permit().cost().amount(bucket));
  }

  /** The largest sum over any closed window [t, t + window] (t ranges over all instants). */
  long maxInAnyWindow(Duration window, ToLongFunction<Admission> amount) {
    return maxInAnyWindow(admissions, window.toNanos(), amount);
  }

  long maxInAnyWindow(Duration window, Bucket bucket) {
    return maxInAnyWindow(window, a -> a.permit().cost().amount(bucket));
  }

  static long maxInAnyWindow(
      List<Admission> sorted, long windowNanos, ToLongFunction<Admission> amount) {
    // The worst window starts at some admission, so sliding over admissions is exhaustive.
    long best = 0;
    long sum = 0;
    int j = 0;
    for (int i = 0; i < sorted.size(); i++) {
      long start = sorted.get(i).nanos();
      while (j < sorted.size() && sorted.get(j).nanos() <= start + windowNanos) {
        sum += amount.applyAsLong(sorted.get(j));
        j++;
      }
      best = Math.max(best, sum);
      sum -= amount.applyAsLong(sorted.get(i));
    }
    return best;
  }
}
