package io.editstream.bench.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * What a run saw of one JVM's heap: the highest heap in use at any sample (garbage included, so it
 * follows the collector's sizing), and the live data, measured right after a full collection:
 * highest, median while the backlog drained (a single sample can catch a burst of calls and their
 * answers; samples before the first outcome would pull the median towards an idle heap), and the
 * last one. Thread-safe.
 */
final class HeapStats {

  /** The numbers of one run; a live value is 0 when no such sample was taken. */
  record Summary(
      long peakUsedBytes,
      long maxLiveBytes,
      long medianDrainingLiveBytes,
      long lastLiveBytes,
      int usedSamples,
      int liveSamples) {}

  private long peakUsed;
  private long maxLive;
  private long lastLive;
  private int usedSamples;
  private int liveSamples;
  private final List<Long> draining = new ArrayList<>();

  /** Heap in use at a sample (live data and garbage). */
  synchronized void used(long bytes) {
    requireNonNegative(bytes);
    peakUsed = Math.max(peakUsed, bytes);
    usedSamples++;
  }

  /**
   * Heap in use right after a full collection; also counts as a sample of heap in use. {@code
   * whileDraining}: taken between the first and the last outcome.
   */
  synchronized void live(long bytes, boolean whileDraining) {
    requireNonNegative(bytes);
    maxLive = Math.max(maxLive, bytes);
    lastLive = bytes;
    liveSamples++;
    if (whileDraining) {
      draining.add(bytes);
    }
    used(bytes);
  }

  synchronized Summary summary() {
    List<Long> sorted = draining.stream().sorted().toList();
    // The lower median: with an even count, the smaller of the two middle samples.
    long median = sorted.isEmpty() ? 0 : sorted.get((sorted.size() - 1) / 2);
    return new Summary(peakUsed, maxLive, median, lastLive, usedSamples, liveSamples);
  }

  private static void requireNonNegative(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("heap bytes must be >= 0 but was " + bytes);
    }
  }
}
