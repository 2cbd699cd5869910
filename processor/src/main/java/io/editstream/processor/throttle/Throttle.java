package io.editstream.processor.throttle;

import io.editstream.schema.Priority;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The throttle of one pool: jobs wait in a {@link FairScheduler} and leave, in its order, when the
 * {@link QuotaPool} admits their {@link Cost}. The order is strict: if the next job does not fit
 * yet, nothing behind it overtakes it (otherwise small jobs would starve large ones and BULK would
 * overtake INTERACTIVE).
 *
 * <p>A {@link RoutedThrottle} with a single route. Thread-safe: every method takes that throttle's
 * lock. The intended use is {@link #submit}, {@link #drain} and {@link #nextWakeup} from the stream
 * thread (punctuator), and {@link #correct} / {@link #onRateLimited} from the threads that complete
 * model calls.
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
  private final String route;
  private final RoutedThrottle<T> routed;

  /**
   * @param pool this instance's part of the pool
   * @param scheduler the (empty) queue, owned by the throttle from now on
   * @param registry optional; registers {@code editstream.throttle.wait} (timer) and {@code
   *     editstream.throttle.queued} (gauge), tagged {@code pool}
   */
  public Throttle(QuotaPool pool, FairScheduler<T> scheduler, MeterRegistry registry) {
    this.pool = Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(scheduler, "scheduler");
    if (!scheduler.isEmpty()) {
      throw new IllegalArgumentException("scheduler must be empty but has " + scheduler.size());
    }
    this.route = pool.provider() != null ? pool.provider() : pool.name();
    // One route, so the only lane ever made is the shared one: it gets this scheduler.
    boolean[] given = {false};
    this.routed =
        new RoutedThrottle<>(
            pool.name(),
            List.of(new RoutedThrottle.Route(route, pool)),
            r -> true,
            () -> {
              if (given[0]) {
                throw new IllegalStateException("a single-pool throttle has one lane");
              }
              given[0] = true;
              return scheduler;
            },
            registry);
  }

  /** Queues {@code job} for {@code tenant} at {@code priority}. */
  public Submission submit(T job, Cost cost, String tenant, Priority priority) {
    return routed.submit(job, cost, tenant, priority, null);
  }

  /** The jobs allowed to go now, in dispatch order; each has been charged to every bucket. */
  public List<T> drain() {
    return drain(Integer.MAX_VALUE);
  }

  /**
   * Like {@link #drain()}, but at most {@code max} jobs: call it with the number of free
   * concurrency slots, so that a permit is only taken when the call can go at once.
   */
  public List<T> drain(int max) {
    return routed.drain(max).stream().map(RoutedThrottle.Grant::job).toList();
  }

  /**
   * When to call {@link #drain} next: {@link Duration#ZERO} if a job can go now; empty if nothing
   * is queued or the next job cannot pass at the current share (call again after {@link
   * #setShare}).
   */
  public Optional<Duration> nextWakeup() {
    return routed.nextWakeup();
  }

  /** Removes a queued job; false if it was not queued (already dispatched or unknown). */
  public boolean cancel(T job) {
    return routed.cancel(job);
  }

  /**
   * The model reported the actual input tokens of a dispatched job: correct the pool (once per job;
   * unknown or long-finished jobs are ignored). Also ends the job's in-flight record.
   */
  public void correct(T job, long actualInputTokens) {
    routed.correct(job, actualInputTokens);
  }

  /**
   * A dispatched job never reached the server (a cache hit, or abandoned before sending): give its
   * permit back to the pool ({@link QuotaPool#refund}) and end its in-flight record. Unknown or
   * long-finished jobs are ignored.
   */
  public void refund(T job) {
    routed.refund(job);
  }

  /** The job finished without usage data (e.g. failed): forget its in-flight record. */
  public void complete(T job) {
    routed.complete(job);
  }

  /** See {@link QuotaPool#onRateLimited}. */
  public void onRateLimited(Duration retryDelay) {
    routed.onRateLimited(route, retryDelay);
  }

  /** See {@link QuotaPool#onDailyQuotaSpent}. */
  public void onDailyQuotaSpent() {
    routed.onDailyQuotaSpent(route);
  }

  /** See {@link QuotaPool#setShare}. */
  public void setShare(double fraction) {
    routed.setShare(fraction);
  }

  public int queued() {
    return routed.queued();
  }

  public int queued(String tenant) {
    return routed.queued(tenant);
  }

  public QuotaPool pool() {
    return pool;
  }

  /** Totals for metrics and tests. */
  public Stats stats() {
    return routed.stats();
  }

  /**
   * @param queued jobs waiting now
   * @param dispatched jobs dispatched since start
   * @param totalWait sum of the time dispatched jobs waited in the throttle
   */
  public record Stats(int queued, long dispatched, Duration totalWait) {}
}
