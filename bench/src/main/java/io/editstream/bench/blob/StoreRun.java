package io.editstream.bench.blob;

import io.editstream.bench.Percentiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one blob store did in the {@code blob-stores} benchmark: a phase of new images and a phase
 * of cache hits of the same workload, and what ended up in the store. Free of I/O so the table can
 * be tested.
 *
 * @param store the {@code blob.store} value ({@code local}, {@code s3})
 * @param bytesStored bytes in the store after the run (files under blob.dir, objects under the
 *     prefix)
 * @param objectsStored files or objects in the store after the run
 * @param modelCalls emulator requests during both phases
 * @param duplicateOutcomes outcome records beyond the first per jobId
 */
public record StoreRun(
    String store,
    Phase fresh,
    Phase hits,
    long bytesStored,
    long objectsStored,
    long modelCalls,
    int duplicateOutcomes) {

  /**
   * One phase: jobs produced as fast as the producer goes, each job's end-to-end time from its send
   * to its result being visible to a {@code read_committed} reader.
   *
   * @param jobs jobs sent
   * @param answered results seen (failures are not answers here)
   * @param byReference results whose image carries no inline data (a blob-store URI only)
   * @param cacheHits results with {@code cacheHit = true}
   * @param seconds first send to last result seen
   * @param endToEndMs one entry per answered job
   */
  public record Phase(
      int jobs,
      int answered,
      int byReference,
      int cacheHits,
      double seconds,
      Percentiles endToEndMs) {

    /** Results per second over the phase; 0 when nothing was answered. */
    public double resultsPerSecond() {
      return answered == 0 || seconds <= 0 ? 0 : answered / seconds;
    }

    /**
     * The phase from send and seen times ({@link System#nanoTime()}) by jobId; a job missing from
     * {@code seenNanos} was not answered.
     *
     * @param resultOf per answered jobId: {@code [byReference, cacheHit]}
     */
    public static Phase of(
        Map<String, Long> sentNanos, Map<String, Long> seenNanos, Map<String, boolean[]> resultOf) {
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      List<Double> latencies = new ArrayList<>();
      int byReference = 0;
      int hits = 0;
      for (Map.Entry<String, Long> sent : sentNanos.entrySet()) {
        first = Math.min(first, sent.getValue());
        Long seen = seenNanos.get(sent.getKey());
        if (seen == null) {
          continue;
        }
        last = Math.max(last, seen);
        latencies.add((seen - sent.getValue()) / 1e6);
        boolean[] r = resultOf.getOrDefault(sent.getKey(), new boolean[2]);
        byReference += r[0] ? 1 : 0;
        hits += r[1] ? 1 : 0;
      }
      double seconds = latencies.isEmpty() ? 0 : (last - first) / 1e9;
      return new Phase(
          sentNanos.size(),
          latencies.size(),
          byReference,
          hits,
          seconds,
          Percentiles.of(latencies.stream().mapToDouble(Double::doubleValue).toArray()));
    }
  }
}
