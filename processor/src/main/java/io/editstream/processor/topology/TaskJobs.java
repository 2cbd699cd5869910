package io.editstream.processor.topology;

import io.editstream.schema.EditJob;
import java.util.Map;

/**
 * One task's pending jobs and where each one is on its way to an outcome: the only place the {@link
 * JobProcessor} changes a job's {@link JobState} (with its attempts, provider, next attempt time
 * and last error), published as a {@link LiveJob} to the instance's {@link JobDirectory} for {@code
 * GET /jobs} and the oldest-age gauge.
 *
 * <p>A job is here from the moment it is accepted into (or restored from) the pending store until
 * its outcome removes it, so {@link #size} is the task's pending count. Written by the task's
 * stream thread only; {@link #view} may be read on any thread.
 */
final class TaskJobs {
  private final String task;
  private final Map<String, LiveJob> jobs;
  private final JobDirectory directory;
  // The stream thread's count, so back-pressure never sums a concurrent map's counters.
  private int size;

  /** Opens the task's map in {@code directory} (replacing one left by an earlier owner). */
  TaskJobs(JobDirectory directory, String task) {
    this.task = task;
    this.directory = directory;
    this.jobs = directory.open(task);
  }

  /** Accepted into the pending store now. */
  void accepted(String jobId, EditJob job, long nowMs) {
    if (jobs.put(jobId, LiveJob.accepted(jobId, task, job, nowMs)) == null) {
      size++;
    }
  }

  /** Found in the pending store at start-up: accepted, or backing off until its next attempt. */
  void restored(String jobId, PendingJob entry, long nowMs) {
    if (jobs.put(jobId, LiveJob.restored(jobId, task, entry, nowMs)) == null) {
      size++;
    }
  }

  /** Queued for quota. */
  void waitingForQuota(String jobId, EditJob job, long nowMs) {
    directory.callOver(jobId);
    jobs.computeIfPresent(jobId, (id, j) -> j.waiting(job, nowMs));
  }

  /** Parked because its tenant is held after safety strikes. */
  void heldForSafety(String jobId, EditJob job, long nowMs) {
    directory.callOver(jobId);
    jobs.computeIfPresent(jobId, (id, j) -> j.held(job, nowMs));
  }

  /** Held by a daily cap of its tenant until {@code untilMs}, as {@code reason} says. */
  void heldOverCap(String jobId, String reason, long untilMs, long nowMs) {
    directory.callOver(jobId);
    jobs.computeIfPresent(jobId, (id, j) -> j.held(reason, untilMs, nowMs));
  }

  /** Its model call starts now, on {@code provider} (null = any). */
  void inFlight(String jobId, int modelCalls, String provider, long nowMs) {
    if (jobs.computeIfPresent(jobId, (id, j) -> j.inFlight(modelCalls, provider, nowMs)) != null) {
      directory.callStarted(jobId);
    }
  }

  /** Its attempt failed with {@code error} (retryable); it is queued again at {@code retryAtMs}. */
  void backingOff(
      String jobId, int modelCalls, String answeredBy, String error, long retryAtMs, long nowMs) {
    directory.callOver(jobId);
    jobs.computeIfPresent(
        jobId, (id, j) -> j.backingOff(modelCalls, answeredBy, error, retryAtMs, nowMs));
  }

  /** Its outcome is emitted: it leaves the pending jobs. */
  void finished(String jobId) {
    directory.callOver(jobId);
    if (jobs.remove(jobId) != null) {
      size--;
    }
  }

  /** The job as {@code GET /jobs} sees it now, or null if it is not pending here. */
  LiveJob get(String jobId) {
    return jobs.get(jobId);
  }

  /** Pending jobs of the task. */
  int size() {
    return size;
  }

  /**
   * Seconds since the oldest pending job was accepted, 0 with none (any thread): of the jobs in a
   * batch when {@code inBatch}, else of all the others.
   */
  double oldestAgeSeconds(long nowMs, boolean inBatch) {
    long oldest = Long.MAX_VALUE;
    for (LiveJob job : jobs.values()) {
      if ((job.state() == JobState.IN_BATCH) == inBatch) {
        oldest = Math.min(oldest, job.acceptedAtMs());
      }
    }
    return oldest == Long.MAX_VALUE ? 0.0 : Math.max(0, nowMs - oldest) / 1000.0;
  }

  /** A job restored from the pending store that the batch lane resumes: it is in a batch. */
  void inBatch(String jobId, long nowMs) {
    jobs.computeIfPresent(jobId, (id, j) -> j.inBatch(j.attempts(), BatchLane.PROVIDER, nowMs));
  }

  /**
   * The map the directory reads, for the batch lane, which marks its own jobs in flight (it
   * predates this class; it must not add or remove jobs).
   */
  Map<String, LiveJob> view() {
    return jobs;
  }

  /** The task closed: its jobs are no longer answered on this instance. */
  void close(JobDirectory directory) {
    jobs.keySet().forEach(directory::callOver);
    directory.close(task, jobs);
  }
}
