package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The throttle of one pool: jobs wait in a {@link FairScheduler} and leave, in its order, when the
 * {@link QuotaPool} admits their {@link Cost}. The order is strict: if the next job does not fit
 * yet, nothing behind it overtakes it (otherwise small jobs would starve large ones and BULK would
 * overtake INTERACTIVE).
 *
 * <p>Thread-safe: every method takes the throttle's lock. The intended use is {@link #submit},
 * {@link #drain} and {@link #nextWakeup} from the stream thread (punctuator), and {@link #correct}
 * / {@link #onRateLimited} from the threads that complete model calls.
 *
 * @param <T> the job handle (distinct by {@code equals}, e.g. a job id)
 */
public final class Throttle<T> {
  /** The outcome of {@link #submit}. */
  public enum Submission {
    /** Queued; it will come out of {@link #drain}. */
    ACCEPTED,
    /** This job is already queued or in flight. */
    DUPLICATE,
    /** The queue is full; apply back-pressure and submit later. */
    QUEUE_FULL,
    /** The cost exceeds what the pool could ever admit (at a full share): fail the job. */
    TOO_LARGE
  }

  private final QuotaPool pool;
  private final FairScheduler<T> scheduler;
  private final Ticker ticker;
  private final Map<T, Waiting> waiting = new HashMap<>();
  // Dispatched jobs whose permit may still be corrected; older than the window they cannot matter.
  private final LinkedHashMap<T, Permit> inFlight = new LinkedHashMap<>();
  private final long correctionHorizonNanos;
  private final Timer waitTimer;
  private long totalWaitNanos;
  private long dispatched;

  private record Waiting(Cost cost, long submittedAtNanos) {}

  /**
   * @param pool this instance's part of the pool
   * @param scheduler the (empty) queue, owned by the throttle from now on
   * @param registry optional; registers {@code editstream.throttle.wait} (timer) and {@code
   *     editstream.throttle.queued} (gauge), tagged {@code pool}
   */
  public Throttle(QuotaPool pool, FairScheduler<T> scheduler, MeterRegistry registry) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    if (!scheduler.isEmpty()) {
      throw new IllegalArgumentException("scheduler must be empty but has " + scheduler.size());
    }
    this.ticker = pool.ticker();
    // A correction older than one window changes nothing; keep some slack for slow calls.
    this.correctionHorizonNanos = 2 * pool.windowNanos();
    if (registry != null) {
      this.waitTimer =
          Timer.builder("editstream.throttle.wait")
              .description("time a job waited in the throttle before dispatch")
              .tag("pool", pool.name())
              .register(registry);
      Gauge.builder("editstream.throttle.queued", this, Throttle::queued)
          .description("jobs waiting in the throttle")
          .tag("pool", pool.name())
          .register(registry);
    } else {
      this.waitTimer = null;
    }
  }

  /** Queues {@code job} for {@code tenant} at {@code priority}. */
  public synchronized Submission submit(T job, Cost cost, String tenant, Priority priority) {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(cost, "cost");
    if (waiting.containsKey(job) || inFlight.containsKey(job)) {
      return Submission.DUPLICATE;
    }
    if (!pool.canEverAdmit(cost)) {
      return Submission.TOO_LARGE;
    }
    if (!scheduler.offer(tenant, priority, job)) {
      return Submission.QUEUE_FULL;
    }
    waiting.put(job, new Waiting(cost, ticker.read()));
    return Submission.ACCEPTED;
  }

  /** The jobs allowed to go now, in dispatch order; each has been charged to every bucket. */
  public List<T> drain() {
    return drain(Integer.MAX_VALUE);
  }

  /**
   * Like {@link #drain()}, but at most {@code max} jobs: call it with the number of free
   * concurrency slots, so that a permit is only taken when the call can go at once.
   */
  public synchronized List<T> drain(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0 but was " + max);
    }
    long now = ticker.read();
    expireInFlight(now);
    List<T> out = new ArrayList<>();
    while (out.size() < max) {
      Optional<T> next = scheduler.peek();
      if (next.isEmpty()) {
        break;
      }
      T job = next.get();
      Waiting w = waiting.get(job);
      Optional<Permit> permit = pool.tryAcquire(w.cost());
      if (permit.isEmpty()) {
        break;
      }
      scheduler.poll();
      waiting.remove(job);
      inFlight.put(job, permit.get());
      long waited = Math.max(0, now - w.submittedAtNanos());
      totalWaitNanos += waited;
      dispatched++;
      if (waitTimer != null) {
        waitTimer.record(Duration.ofNanos(waited));
      }
      out.add(job);
    }
    return out;
  }

  /**
   * When to call {@link #drain} next: {@link Duration#ZERO} if a job can go now; empty if nothing
   * is queued or the next job cannot pass at the current share (call again after {@link
   * #setShare}).
   */
  public synchronized Optional<Duration> nextWakeup() {
    Optional<T> next = scheduler.peek();
    if (next.isEmpty()) {
      return Optional.empty();
    }
    return pool.nextAvailable(waiting.get(next.get()).cost());
  }

  /** Removes a queued job; false if it was not queued (already dispatched or unknown). */
  public synchronized boolean cancel(T job) {
    if (!scheduler.remove(job)) {
      return false;
    }
    waiting.remove(job);
    return true;
  }

  /**
   * The model reported the actual input tokens of a dispatched job: correct the pool (once per job;
   * unknown or long-finished jobs are ignored). Also ends the job's in-flight record.
   */
  public synchronized void correct(T job, long actualInputTokens) {
    Permit permit = inFlight.remove(job);
    if (permit != null) {
      pool.correct(permit, actualInputTokens);
    }
  }

  /**
   * A dispatched job never reached the server (a cache hit, or abandoned before sending): give its
   * permit back to the pool ({@link QuotaPool#refund}) and end its in-flight record. Unknown or
   * long-finished jobs are ignored.
   */
  public synchronized void refund(T job) {
    Permit permit = inFlight.remove(job);
    if (permit != null) {
      pool.refund(permit);
    }
  }

  /** The job finished without usage data (e.g. failed): forget its in-flight record. */
  public synchronized void complete(T job) {
    inFlight.remove(job);
  }

  /** See {@link QuotaPool#onRateLimited}. */
  public void onRateLimited(Duration retryDelay) {
    pool.onRateLimited(retryDelay);
  }

  /** See {@link QuotaPool#setShare}. */
  public void setShare(double fraction) {
    pool.setShare(fraction);
  }

  public synchronized int queued() {
    return scheduler.size();
  }

  public synchronized int queued(String tenant) {
    return scheduler.size(tenant);
  }

  public QuotaPool pool() {
    return pool;
  }

  /** Totals for metrics and tests. */
  public synchronized Stats stats() {
    return new Stats(scheduler.size(), dispatched, Duration.ofNanos(totalWaitNanos));
  }

  /**
   * @param queued jobs waiting now
   * @param dispatched jobs dispatched since start
   * @param totalWait sum of the time dispatched jobs waited in the throttle
   */
  public record Stats(int queued, long dispatched, Duration totalWait) {}

  private void expireInFlight(long now) {
    Iterator<Permit> it = inFlight.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().admittedAtNanos() > correctionHorizonNanos) {
        it.remove();
      } else {
        break; // insertion order = admission order
      }
    }
  }
}
