package io.editstream.processor.topology;

import io.editstream.schema.EditJob;

/**
 * An accepted job as its task sees it now: the answer to "where is job X?" while it is pending.
 * Immutable; the task replaces it on every change of state. Times are epoch milliseconds, 0 for
 * none. {@code sku} and {@code tenant} are null for a job restored from the pending store until the
 * task has decoded it again (right after start-up).
 *
 * @param attempts model calls made so far (the number the outcome will report)
 * @param provider the provider of the running or the last call, null if not known
 * @param lastError the last retryable error ("CODE: message"), null if none
 */
public record LiveJob(
    String jobId,
    String task,
    String tenant,
    String sku,
    JobState state,
    int attempts,
    String provider,
    long acceptedAtMs,
    long sinceMs,
    long nextAttemptAtMs,
    String lastError) {

  static LiveJob accepted(String jobId, String task, EditJob job, long nowMs) {
    return new LiveJob(
        jobId,
        task,
        job == null ? null : tenantOf(job),
        job == null ? null : job.getSku(),
        JobState.ACCEPTED,
        0,
        null,
        nowMs,
        nowMs,
        0,
        null);
  }

  static LiveJob restored(String jobId, String task, PendingJob entry, long nowMs) {
    boolean backingOff = entry.notBeforeMs() > nowMs;
    return new LiveJob(
        jobId,
        task,
        null,
        null,
        backingOff ? JobState.BACKING_OFF : JobState.ACCEPTED,
        entry.modelCalls(),
        null,
        entry.acceptedAtMs(),
        nowMs,
        backingOff ? entry.notBeforeMs() : 0,
        null);
  }

  LiveJob waiting(EditJob job, long nowMs) {
    return new LiveJob(
        jobId,
        task,
        tenantOf(job),
        job.getSku(),
        JobState.WAITING_FOR_QUOTA,
        attempts,
        provider,
        acceptedAtMs,
        nowMs,
        0,
        lastError);
  }

  LiveJob held(EditJob job, long nowMs) {
    return new LiveJob(
        jobId,
        task,
        tenantOf(job),
        job.getSku(),
        JobState.HELD,
        attempts,
        provider,
        acceptedAtMs,
        nowMs,
        0,
        lastError);
  }

  LiveJob inFlight(int modelCalls, String route, long nowMs) {
    return called(JobState.IN_FLIGHT, modelCalls, route, nowMs);
  }

  LiveJob inBatch(int modelCalls, String route, long nowMs) {
    return called(JobState.IN_BATCH, modelCalls, route, nowMs);
  }

  private LiveJob called(JobState state, int modelCalls, String route, long nowMs) {
    return new LiveJob(
        jobId, task, tenant, sku, state, modelCalls, route, acceptedAtMs, nowMs, 0, lastError);
  }

  LiveJob backingOff(int modelCalls, String answeredBy, String error, long retryAtMs, long nowMs) {
    return new LiveJob(
        jobId,
        task,
        tenant,
        sku,
        JobState.BACKING_OFF,
        modelCalls,
        answeredBy != null ? answeredBy : provider,
        acceptedAtMs,
        nowMs,
        retryAtMs,
        error);
  }

  LiveJob held(String reason, long untilMs, long nowMs) {
    return new LiveJob(
        jobId,
        task,
        tenant,
        sku,
        JobState.HELD,
        attempts,
        provider,
        acceptedAtMs,
        nowMs,
        untilMs,
        reason);
  }

  private static String tenantOf(EditJob job) {
    return job.getTenant() == null ? "" : job.getTenant();
  }
}
