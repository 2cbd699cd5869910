package io.editstream.processor.topology;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.editstream.schema.EditJob;
import java.util.function.Function;

/**
 * A task's pending jobs as decoded when they were accepted (issue 16.1: a job is decoded once), so
 * queueing, dispatch, deadlines, cancels and the outcome all read one {@link EditJob} instead of
 * decoding the pending store's frame again at each step.
 *
 * <p>Bounded by the frames' bytes ({@link #DEFAULT_MAX_BYTES} per task): holding every accepted job
 * decoded would put up to {@code pending.max.per.task} jobs (inline images included) on the heap,
 * where the pending store keeps them off it. A job evicted here, or restored after a restart, is
 * decoded again from its frame when next needed, so the bound costs CPU, never correctness. Jobs
 * that reference their images by URI are a few hundred bytes: thousands fit.
 *
 * <p>Stream thread only (eviction runs on the caller: Caffeine with a same-thread executor).
 */
final class DecodedJobs {
  static final long DEFAULT_MAX_BYTES = 8L * 1024 * 1024;

  private final Cache<String, Entry> jobs;
  private final Function<byte[], EditJob> decoder;
  private long decodes;

  private record Entry(EditJob job, int frameBytes) {}

  DecodedJobs(Function<byte[], EditJob> decoder, long maxBytes) {
    this.decoder = decoder;
    this.jobs =
        Caffeine.newBuilder()
            .executor(Runnable::run)
            .maximumWeight(maxBytes)
            .weigher((String id, Entry e) -> e.frameBytes())
            .build();
  }

  /** {@code jobId}'s job: as decoded before, else decoded from {@code frame} now (and kept). */
  EditJob get(String jobId, byte[] frame) {
    Entry e = jobs.getIfPresent(jobId);
    if (e != null) {
      return e.job();
    }
    EditJob job = decode(frame);
    jobs.put(jobId, new Entry(job, frame.length));
    return job;
  }

  /** Decodes a record's frame (counted), not kept: {@link #keep} it once the job is accepted. */
  EditJob decode(byte[] frame) {
    decodes++;
    return decoder.apply(frame);
  }

  /** Keeps an accepted job as decoded from its frame. */
  void keep(String jobId, EditJob job, byte[] frame) {
    jobs.put(jobId, new Entry(job, frame.length));
  }

  /** The job left the pending store (its outcome is out). */
  void forget(String jobId) {
    jobs.invalidate(jobId);
  }

  /** Frames decoded so far by this task (a test asserts a job is decoded once). */
  long decodes() {
    return decodes;
  }

  /** Jobs kept decoded now. */
  long size() {
    jobs.cleanUp();
    return jobs.estimatedSize();
  }
}
