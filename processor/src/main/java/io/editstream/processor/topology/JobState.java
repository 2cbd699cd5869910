package io.editstream.processor.topology;

/**
 * Where an accepted job is on its way to an outcome (DESIGN.md §14). Callers may rely on the order
 * of a job's states: {@code ACCEPTED → WAITING_FOR_QUOTA → IN_FLIGHT → (BACKING_OFF →
 * WAITING_FOR_QUOTA → IN_FLIGHT …)}, then the job leaves the pending store with its outcome. A job
 * of a held tenant (safety strikes) is {@code HELD} instead of {@code WAITING_FOR_QUOTA} until the
 * tenant's release, then waits for quota again. A job of the batch lane is {@code IN_BATCH} from
 * the moment its batch is recorded until its answer.
 */
public enum JobState {
  /** In the pending store, not yet queued for quota (the gate's queue was full, or restored). */
  ACCEPTED,
  /** Queued in its quota pool, waiting for a permit and a free in-flight slot. */
  WAITING_FOR_QUOTA,
  /** Its model call is running. */
  IN_FLIGHT,
  /**
   * Its last attempt failed with a retryable error; it is queued again at {@code nextAttemptAt}.
   */
  BACKING_OFF,
  /**
   * Not queued for quota and no model call: held by a guardrail, as {@code lastError} says. Its
   * tenant is over a daily spend or request cap (until {@code nextAttemptAt}, midnight Pacific), or
   * held after safety strikes (until an operator releases it: {@code editstream tenant release}).
   */
  HELD,
  /**
   * Its request is in a batch of the Gemini Batch API (the batch lane, at half price), which
   * answers within hours; past {@code batch.deadline.ms} the batch is cancelled and the job goes as
   * {@code batch.on.deadline} says. Not counted as a pending job's age for the pending-age alert
   * (it has its own gauge, {@code editstream_jobs_batch_oldest_age_seconds}).
   */
  IN_BATCH
}
