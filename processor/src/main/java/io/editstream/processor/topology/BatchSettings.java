package io.editstream.processor.topology;

import io.editstream.processor.batch.BatchService;
import io.editstream.processor.throttle.BatchQuota;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The batch lane of an instance (issue 18): where BULK jobs go by batch, and how they are grouped,
 * polled, bounded in time and in quota. {@link #OFF} sends every job online.
 *
 * @param service the batch API; null = the lane is off
 * @param executor runs submissions, polls and the preparing of requests, off the stream thread
 * @param maxRequests a batch is submitted when it has this many jobs ...
 * @param maxWait ... or when its oldest job has waited this long
 * @param pollInterval how often a running batch is asked for its state
 * @param failOnBatchFailure a batch that fails, expires, is cancelled or is refused fails its jobs
 *     (instead of sending them online)
 * @param deadline a batch not ended this long after it was recorded is cancelled ({@code
 *     batch.deadline.ms})
 * @param failOnDeadline its jobs then fail ({@code EXPIRED}) instead of going online
 * @param quota the instance's batch quota pool (enqueued requests and tokens)
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
    Duration deadline,
    boolean failOnDeadline,
    BatchQuota quota,
    boolean bulkByDefault) {

  /** Google's target turnaround for a batch, and the default deadline. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofHours(24);

  /** No batch lane: every job goes online. */
  public static final BatchSettings OFF =
      new BatchSettings(
          null,
          Runnable::run,
          1,
          Duration.ZERO,
          Duration.ofSeconds(1),
          false,
          DEFAULT_DEADLINE,
          false,
          BatchQuota.unlimited(),
          true);

  public BatchSettings {
    if (maxRequests < 1) {
      throw new IllegalArgumentException("maxRequests must be >= 1, was " + maxRequests);
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
    }
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline);
    }
    if (quota == null) {
      throw new IllegalArgumentException("quota: use BatchQuota.unlimited() for none");
    }
  }

  boolean enabled() {
    return service != null;
  }
}
