package io.editstream.processor.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pending jobs of every task this instance runs, by jobId: what {@code GET /jobs} reads on this
 * instance. Each task owns its own map (written by its stream thread, on every change of a job's
 * state) and hands it back when the task closes, so the directory follows the partitions. Reads are
 * lock-free and may run on any thread.
 */
public final class JobDirectory {

  private final Map<String, Map<String, LiveJob>> byTask = new ConcurrentHashMap<>();

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

  /** Pending jobs on this instance. */
  public int size() {
    int n = 0;
    for (Map<String, LiveJob> jobs : byTask.values()) {
      n += jobs.size();
    }
    return n;
  }
}
