package io.editstream.processor.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pending jobs of every task this instance runs, by jobId: what {@code GET /jobs} reads on this
 * instance. Each task owns its own map (written by its stream thread, on every change of a job's
 * state) and hands it back when the task closes, so the directory follows the partitions. Reads are
 * lock-free and may run on any thread.
 */
public final class JobDirectory {

  private final Map<String, Map<String, LiveJob>> byTask = new ConcurrentHashMap<>();
  private final Set<String> onlineCalls = ConcurrentHashMap.newKeySet();

  /** The (empty) map a task keeps its pending jobs in; replaces one left by an earlier owner. */
  Map<String, LiveJob> open(String task) {
    Map<String, LiveJob> jobs = new ConcurrentHashMap<>();
    byTask.put(task, jobs);
    return jobs;
  }

  /** The task closed (moved away or shut down): its jobs are no longer answered here. */
  void close(String task, Map<String, LiveJob> jobs) {
    byTask.remove(task, jobs);
  }

  /** The job if a task of this instance holds it pending. */
  public Optional<LiveJob> find(String jobId) {
    for (Map<String, LiveJob> jobs : byTask.values()) {
      LiveJob job = jobs.get(jobId);
      if (job != null) {
        return Optional.of(job);
      }
    }
    return Optional.empty();
  }

  /** Pending jobs of this instance for a SKU (and a tenant, when not null), oldest first. */
  public List<LiveJob> bySku(String sku, String tenant) {
    List<LiveJob> out = new ArrayList<>();
    for (Map<String, LiveJob> jobs : byTask.values()) {
      for (LiveJob job : jobs.values()) {
        if (sku.equals(job.sku()) && (tenant == null || tenant.equals(job.tenant()))) {
          out.add(job);
        }
      }
    }
    out.sort(Comparator.comparingLong(LiveJob::acceptedAtMs).thenComparing(LiveJob::jobId));
    return out;
  }

  /** An online model call of this job started (batch jobs are not counted). */
  void callStarted(String jobId) {
    onlineCalls.add(jobId);
  }

  /** The job's task has taken in its call's answer (or the job left the task). */
  void callOver(String jobId) {
    onlineCalls.remove(jobId);
  }

  /**
   * Online model calls of this instance under way, or answered but not yet taken in by their task:
   * a clean stop waits for these before it hands the tasks over.
   */
  public int onlineCallsInFlight() {
    return onlineCalls.size();
  }

  /** Pending jobs on this instance. */
  public int size() {
    int n = 0;
    for (Map<String, LiveJob> jobs : byTask.values()) {
      n += jobs.size();
    }
    return n;
  }
}
