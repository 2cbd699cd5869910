package io.editstream.bench.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * What a run saw of one JVM's heap: the highest heap in use at any sample (garbage included, so it
 * follows the collector's sizing) and the highest live data, measured right after a full collection
 * (highest and median: a single sample can catch a burst of calls and their answers). Thread-safe.
 */
final class HeapStats {

  /** The numbers of one run. */
  record Summary(
      long peakUsedBytes,
      long maxLiveBytes,
      long medianLiveBytes,
      int usedSamples,
      int liveSamples) {}

  private long peakUsed;
  private long maxLive;
  private int usedSamples;
  private final List<Long> lives = new ArrayList<>();

  /** Heap in use at a sample (live data and garbage). */
  synchronized void used(long bytes) {
    requireNonNegative(bytes);
    peakUsed = Math.max(peakUsed, bytes);
    usedSamples++;
  }

  /** Heap in use right after a full collection; also counts as a sample of heap in use. */
  synchronized void live(long bytes) {
    requireNonNegative(bytes);
    maxLive = Math.max(maxLive, bytes);
    lives.add(bytes);
    used(bytes);
  }

  synchronized Summary summary() {
    List<Long> sorted = lives.stream().sorted().toList();
    // The lower median: with an even count, the smaller of the two middle samples.
    long median = sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2);
    return new Summary(peakUsed, maxLive, median, usedSamples, lives.size());
  }

  private static void requireNonNegative(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("heap bytes must be >= 0 but was " + bytes);
    }
  }
}
