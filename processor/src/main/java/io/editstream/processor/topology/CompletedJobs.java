package io.editstream.processor.topology;

import java.time.Duration;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A task's finished jobIds (the {@code completed-jobs} store: jobId to the time it finished), and
 * the sweep that forgets them after the retention.
 *
 * <p>The store holds every jobId the task finished within the retention (7 days by default): at
 * 1,000 jobs/min that is millions of entries per task, more with cache hits. Reading all of them at
 * once would stall the stream thread (and every job of its tasks) for seconds, so the sweep reads a
 * bounded step at a time, at most once per {@link #STEP_EVERY}, and resumes after the last key it
 * read: each step reads {@link #MIN_STEP} entries plus twice the number finished since the step
 * before, so a pass keeps ahead of the rate at which entries arrive and the store stays within
 * about one and a half retentions of jobIds. An entry is forgotten on the pass after it expires.
 */
final class CompletedJobs {

  /** How often the sweep takes a step. */
  static final Duration STEP_EVERY = Duration.ofSeconds(1);

  /** Entries a step reads when none finished since the step before. */
  static final int MIN_STEP = 1_000;

  private final KeyValueStore<String, Long> store;
  private final long retentionMs;
  private String resumeAfter; // the last key the previous step read; null: from the first key
  private long finishedSinceStep;
  private long lastStepMs;

  CompletedJobs(KeyValueStore<String, Long> store, Duration retention, long nowMs) {
    this.store = store;
    this.retentionMs = retention.toMillis();
    this.lastStepMs = nowMs;
  }

  boolean contains(String jobId) {
    return store.get(jobId) != null;
  }

  void finished(String jobId, long nowMs) {
    store.put(jobId, nowMs);
    finishedSinceStep++;
  }

  /**
   * One step of the sweep when {@link #STEP_EVERY} has passed since the last one.
   *
   * @return the jobIds forgotten by this step (0 when no step was due)
   */
  int sweep(long nowMs) {
    if (nowMs - lastStepMs < STEP_EVERY.toMillis()) {
      return 0;
    }
    lastStepMs = nowMs;
    long budget = MIN_STEP + 2 * finishedSinceStep;
    finishedSinceStep = 0;
    long cutoff = nowMs - retentionMs;
    long read = 0;
    int forgotten = 0;
    String last = null;
    try (KeyValueIterator<String, Long> it =
        resumeAfter == null ? store.all() : store.range(resumeAfter, null)) {
      while (read < budget && it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        if (kv.key.equals(resumeAfter)) {
          continue; // read by the step before (the range starts at it)
        }
        read++;
        last = kv.key;
        if (kv.value < cutoff) {
          store.delete(kv.key);
          forgotten++;
        }
      }
      // At the end of the store the next step starts a new pass from the first key.
      resumeAfter = it.hasNext() ? last : null;
    }
    return forgotten;
  }
}
