package io.editstream.bench.sidebyside;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The counting behind the side-by-side table, free of I/O so it can be tested: calls in a window,
 * calls per minute over time, duplicate calls, duplicate and missing results.
 */
public final class Tally {
  private Tally() {}

  /** Calls in {@code [from, to)} (epoch ms): admitted (not 429) and answered 429. */
  public record WindowCalls(long admitted, long rateLimited) {}

  public static WindowCalls window(Collection<ModelCall> calls, long from, long to) {
    long admitted = 0;
    long limited = 0;
    for (ModelCall c : calls) {
      if (c.atMillis() >= from && c.atMillis() < to) {
        if (c.rateLimited()) {
          limited++;
        } else {
          admitted++;
        }
      }
    }
    return new WindowCalls(admitted, limited);
  }

  /**
   * Calls per minute in consecutive buckets of {@code bucketMillis} from {@code from} up to {@code
   * to}: bucket i counts the calls with {@code from + i * bucket <= at < from + (i + 1) * bucket},
   * scaled to a minute. Only calls {@code admitted} (not 429) or only 429s, as asked.
   */
  public static double[] perMinute(
      Collection<ModelCall> calls, long from, long to, long bucketMillis, boolean rateLimited) {
    if (bucketMillis <= 0) {
      throw new IllegalArgumentException("bucketMillis must be > 0, was " + bucketMillis);
    }
    int n = (int) Math.max(0, (to - from + bucketMillis - 1) / bucketMillis);
    double[] buckets = new double[n];
    for (ModelCall c : calls) {
      if (c.rateLimited() != rateLimited || c.atMillis() < from || c.atMillis() >= to) {
        continue;
      }
      buckets[(int) ((c.atMillis() - from) / bucketMillis)]++;
    }
    double scale = 60_000.0 / bucketMillis;
    for (int i = 0; i < n; i++) {
      buckets[i] *= scale;
    }
    return buckets;
  }

  /**
   * Calls the model worked on (not 429) beyond the first, summed over jobs: the work paid for
   * twice. Calls without a job marker are ignored.
   */
  public static long duplicateCalls(Collection<ModelCall> calls) {
    Map<String, Integer> perJob = new HashMap<>();
    for (ModelCall c : calls) {
      if (!c.rateLimited() && !c.jobId().isEmpty()) {
        perJob.merge(c.jobId(), 1, Integer::sum);
      }
    }
    return perJob.values().stream().mapToLong(n -> n - 1).sum();
  }

  /** Jobs with more than one work call. */
  public static long jobsCalledTwice(Collection<ModelCall> calls) {
    Map<String, Integer> perJob = new HashMap<>();
    for (ModelCall c : calls) {
      if (!c.rateLimited() && !c.jobId().isEmpty()) {
        perJob.merge(c.jobId(), 1, Integer::sum);
      }
    }
    return perJob.values().stream().filter(n -> n > 1).count();
  }

  /** Result records beyond the first, summed over jobs ({@code results}: job id to its records). */
  public static long duplicateResults(Map<String, ? extends List<?>> results) {
    return results.values().stream().mapToLong(l -> Math.max(0, l.size() - 1)).sum();
  }

  /** Where a job was written: input partition and offset. */
  public record Position(int partition, long offset) {}

  /**
   * Jobs the system consumed (offset below its group's committed offset of that partition) that
   * have no result record: lost.
   *
   * @param jobs job id to its input position
   * @param committed partition to committed offset (the next offset to read); absent = nothing
   *     consumed
   * @param withResult ids of jobs with at least one result record
   */
  public static List<String> lost(
      Map<String, Position> jobs, Map<Integer, Long> committed, Set<String> withResult) {
    return jobs.entrySet().stream()
        .filter(e -> e.getValue().offset() < committed.getOrDefault(e.getValue().partition(), 0L))
        .map(Map.Entry::getKey)
        .filter(id -> !withResult.contains(id))
        .sorted()
        .toList();
  }

  /** Jobs consumed (below the committed offsets). */
  public static long consumed(Map<String, Position> jobs, Map<Integer, Long> committed) {
    return jobs.values().stream()
        .filter(p -> p.offset() < committed.getOrDefault(p.partition(), 0L))
        .count();
  }
}
