package io.editstream.processor.throttle;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.DoubleSupplier;

/**
 * The batch lane's own quota pool (issue 18.4): the requests and input tokens this instance has
 * enqueued in Gemini batches (pending or running), against its share of the account's batch limits.
 * It is separate from the online pools: a batch never takes an RPM, RPD or in-flight permit, and
 * online jobs never wait for it.
 *
 * <p>A batch is created only once it {@linkplain #tryAcquire fits}; its capacity comes back when it
 * ends ({@link #release}), whatever the end. A 429 from the batch service {@linkplain #pause
 * pauses} the pool: no batch is created until then, so a refusal never turns into a storm of them.
 * Batches found again after a restart are {@linkplain #hold held} without asking (they are enqueued
 * already). A batch larger than the whole share passes alone, when nothing else is enqueued, so it
 * is never stuck.
 *
 * <p>Time is passed in (epoch milliseconds), so the pool is deterministic under a fake clock.
 * Thread-safe.
 */
public final class BatchQuota {

  /** No limits: every batch fits at once. */
  public static BatchQuota unlimited() {
    return new BatchQuota(0, 0, () -> 1.0);
  }

  private final long maxRequests;
  private final long maxTokens;
  private final DoubleSupplier share;
  private long requests;
  private long tokens;
  private long pausedUntilMs;

  /**
   * @param maxRequests requests the account may have enqueued in batches, 0 = unlimited
   * @param maxTokens input tokens the account may have enqueued in batches, 0 = unlimited
   * @param share this instance's share of the account's limits (as for the online pools)
   */
  public BatchQuota(long maxRequests, long maxTokens, DoubleSupplier share) {
    if (maxRequests < 0) {
      throw new IllegalArgumentException("maxRequests must be >= 0, was " + maxRequests);
    }
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0, was " + maxTokens);
    }
    this.maxRequests = maxRequests;
    this.maxTokens = maxTokens;
    this.share = share;
  }

  /** Registers the gauges {@code editstream_batch_enqueued_requests} and {@code ..._tokens}. */
  public BatchQuota register(MeterRegistry meters) {
    Gauge.builder("editstream.batch.enqueued.requests", this, BatchQuota::enqueuedRequests)
        .description("Requests this instance has in Gemini batches that have not ended")
        .register(meters);
    Gauge.builder("editstream.batch.enqueued.tokens", this, BatchQuota::enqueuedTokens)
        .description("Estimated input tokens this instance has in batches that have not ended")
        .register(meters);
    return this;
  }

  /**
   * Takes room for a batch of {@code batchRequests} and {@code batchTokens} if it fits now.
   *
   * @return false: nothing taken; the batch waits and asks again later
   */
  public synchronized boolean tryAcquire(long nowMs, long batchRequests, long batchTokens) {
    if (nowMs < pausedUntilMs) {
      return false;
    }
    boolean empty = requests == 0 && tokens == 0;
    double s = Math.max(0, Math.min(1, share.getAsDouble()));
    boolean fits =
        empty
            || ((maxRequests == 0 || requests + batchRequests <= s * maxRequests)
                && (maxTokens == 0 || tokens + batchTokens <= s * maxTokens));
    if (fits) {
      hold(batchRequests, batchTokens);
    }
    return fits;
  }

  /** Takes room without asking: a batch that is enqueued already (found after a restart). */
  public synchronized void hold(long batchRequests, long batchTokens) {
    requests += batchRequests;
    tokens += batchTokens;
  }

  /** A batch ended (or was never created): its room comes back. */
  public synchronized void release(long batchRequests, long batchTokens) {
    requests = Math.max(0, requests - batchRequests);
    tokens = Math.max(0, tokens - batchTokens);
  }

  /** The batch service answered 429: no batch is created before {@code untilMs}. */
  public synchronized void pause(long untilMs) {
    pausedUntilMs = Math.max(pausedUntilMs, untilMs);
  }

  public synchronized long enqueuedRequests() {
    return requests;
  }

  public synchronized long enqueuedTokens() {
    return tokens;
  }

  public synchronized long pausedUntilMs() {
    return pausedUntilMs;
  }
}
