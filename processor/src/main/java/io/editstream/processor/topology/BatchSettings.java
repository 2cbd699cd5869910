package io.editstream.processor.topology;

import io.editstream.processor.batch.BatchService;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The batch lane of an instance (issue 18): where BULK jobs go by batch, and how they are grouped
 * and polled. {@link #OFF} sends every job online.
 *
 * @param service the batch API; null = the lane is off
 * @param executor runs submissions, polls and the preparing of requests, off the stream thread
 * @param maxRequests a batch is submitted when it has this many jobs ...
 * @param maxWait ... or when its oldest job has waited this long
 * @param pollInterval how often a running batch is asked for its state
 * @param failOnBatchFailure a batch that fails, expires, is cancelled or is refused fails its jobs
 *     (instead of sending them online)
 * @param bulkByDefault {@code batch.lane=bulk}: BULK jobs go by batch unless they ask for the
 *     online lane ({@link io.editstream.schema.Lanes#ATTRIBUTE}); false ({@code per-job}): only
 *     jobs that ask for the batch lane do
 */
public record BatchSettings(
    BatchService service,
    Executor executor,
    int maxRequests,
    Duration maxWait,
    Duration pollInterval,
    boolean failOnBatchFailure,
    boolean bulkByDefault) {

  /** No batch lane: every job goes online. */
  public static final BatchSettings OFF =
      new BatchSettings(null, Runnable::run, 1, Duration.ZERO, Duration.ofSeconds(1), false);

  /** {@code batch.lane=bulk}: BULK jobs go by batch unless they ask for the online lane. */
  public BatchSettings(
      BatchService service,
      Executor executor,
      int maxRequests,
      Duration maxWait,
      Duration pollInterval,
      boolean failOnBatchFailure) {
    this(service, executor, maxRequests, maxWait, pollInterval, failOnBatchFailure, true);
  }

  public BatchSettings {
    if (maxRequests < 1) {
      throw new IllegalArgumentException("maxRequests must be >= 1, was " + maxRequests);
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
    }
  }

  boolean enabled() {
    return service != null;
  }
}
