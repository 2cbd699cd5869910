package io.editstream.emulator;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters behind {@link EmulatorStats}. */
final class StatsRecorder {

  private final LongAdder requests = new LongAdder();
  private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong current = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final Map<String, LongAdder> byKey = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> byModel = new ConcurrentHashMap<>();
  private final LongAdder images = new LongAdder();
  private final Map<String, Long> byBatch = new ConcurrentHashMap<>();
  private final LongAdder batchesCancelled = new LongAdder();
  private final LongAdder batchesRefused = new LongAdder();
  private final LongAdder filesUploaded = new LongAdder();

  void started(String keyId) {
    requests.increment();
    byKey.computeIfAbsent(keyId, k -> new LongAdder()).increment();
    long now = current.incrementAndGet();
    peak.accumulateAndGet(now, Math::max);
  }

  void model(String model) {
    byModel.computeIfAbsent(model, k -> new LongAdder()).increment();
  }

  void answered(int status) {
    byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
  }

  void dropped() {
    dropped.increment();
  }

  void imageGenerated() {
    images.increment();
  }

  void batchCreated(String name, int requests) {
    byBatch.put(name, (long) requests);
  }

  void batchCancelled() {
    batchesCancelled.increment();
  }

  void batchRefused() {
    batchesRefused.increment();
  }

  void fileUploaded() {
    filesUploaded.increment();
  }

  void finished() {
    current.decrementAndGet();
  }

  void reset() {
    requests.reset();
    byStatus.clear();
    dropped.reset();
    peak.set(current.get());
    byKey.clear();
    byModel.clear();
    images.reset();
    byBatch.clear();
    batchesCancelled.reset();
    batchesRefused.reset();
    filesUploaded.reset();
  }

  EmulatorStats snapshot() {
    Map<String, Long> batches = new TreeMap<>(byBatch);
    return new EmulatorStats(
        requests.sum(),
        sums(byStatus),
        byStatus.getOrDefault(429, new LongAdder()).sum(),
        dropped.sum(),
        peak.get(),
        current.get(),
        sums(byKey),
        sums(byModel),
        images.sum(),
        batches.size(),
        batches.values().stream().mapToLong(Long::longValue).sum(),
        batches,
        batchesCancelled.sum(),
        filesUploaded.sum(),
        batchesRefused.sum());
  }

  private static <K> Map<K, Long> sums(Map<K, LongAdder> adders) {
    Map<K, Long> out = new TreeMap<>();
    adders.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
