package io.editstream.bench.sidebyside;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Optional;

/**
 * Runs in a child JVM: samples the heap twice a second and prints the peaks so far as {@code @@heap
 * <peak used bytes> <peak after-GC bytes>} on stdout, which the parent reads back. "After GC" is
 * the heap left by the last collection (the live set, roughly), summed over heap pools.
 */
final class HeapSampler {
  static final String PREFIX = "@@heap ";

  private HeapSampler() {}

  static void start() {
    Thread t =
        new Thread(
            () -> {
              long peakUsed = 0;
              long peakLive = 0;
              int tick = 0;
              while (!Thread.currentThread().isInterrupted()) {
                peakUsed =
                    Math.max(
                        peakUsed,
                        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                long live = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                  if (pool.getType() == MemoryType.HEAP) {
                    live +=
                        Optional.ofNullable(pool.getCollectionUsage())
                            .map(MemoryUsage::getUsed)
                            .orElse(0L);
                  }
                }
                peakLive = Math.max(peakLive, live);
                if (tick++ % 2 == 0) {
                  System.out.println(PREFIX + peakUsed + " " + peakLive);
                  System.out.flush();
                }
                try {
                  Thread.sleep(500);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "heap-sampler");
    t.setDaemon(true);
    t.start();
  }

  /** The peaks in the last {@code @@heap} line of {@code output}: {used, live}, or zeros. */
  static long[] lastPeaks(Iterable<String> output) {
    long[] peaks = {0, 0};
    for (String line : output) {
      if (line.startsWith(PREFIX)) {
        String[] parts = line.substring(PREFIX.length()).trim().split(" ");
        try {
          peaks[0] = Math.max(peaks[0], Long.parseLong(parts[0]));
          peaks[1] = Math.max(peaks[1], Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
          // a line cut by the kill: the earlier ones hold the same peaks
        }
      }
    }
    return peaks;
  }
}
