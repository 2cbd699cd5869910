package io.editstream.processor.topology;

import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.Lanes;
import io.editstream.schema.Timings;
import java.time.Duration;
import java.time.Instant;

/** Builds the {@link EditResult} of a job from what its attempt (or the cache) produced. */
final class Results {
  private Results() {}

  /**
   * @param models the model id of the job (when the result does not say)
   * @param acceptedMs when the job was accepted (for a cache hit answered at once: {@code nowMs})
   * @param firstDispatchMs when its first model call started (a hit: {@code nowMs})
   * @param attempts model calls made for it (a hit answered at once: 0)
   */
  static EditResult of(
      String jobId,
      EditJob job,
      Dispatcher.Produced p,
      ModelIds models,
      long acceptedMs,
      long firstDispatchMs,
      int attempts,
      long nowMs) {
    long total = Math.max(0, nowMs - job.getSubmittedAt().toEpochMilli());
    Duration modelTime = p.modelTime() == null ? Duration.ZERO : p.modelTime();
    return EditResult.newBuilder()
        .setJobId(jobId)
        .setTenant(job.getTenant())
        .setSku(job.getSku())
        .setImages(p.images())
        .setText(p.text())
        .setModel(p.model() != null ? p.model() : models.forJob(job))
        .setModelVersion(p.modelVersion())
        .setCacheHit(p.cacheHit())
        .setContentKey(p.contentKey())
        .setUsage(p.usage())
        .setTimings(
            Timings.newBuilder()
                .setQueuedMs(Math.max(0, firstDispatchMs - acceptedMs))
                .setModelMs(modelTime.toMillis())
                .setTotalMs(total)
                .build())
        .setAttempts(attempts)
        .setCompletedAt(Instant.ofEpochMilli(nowMs))
        .setProvider(p.provider())
        .setEstimatedCostUsd(p.estimatedCostUsd())
        .setAttributes(job.getAttributes())
        // A cache hit, and any result of the online path; the job processor marks batch answers.
        .setLane(Lanes.ONLINE)
        .build();
  }
}
