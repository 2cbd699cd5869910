package io.editstream.processor.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's copy of its instance's quota history ({@link JobProcessor#HISTORY_STORE},
 * changelogged): per process, pool and wall-clock second, the requests admitted (keys {@code
 * origin|provider|model|epochSecond}, see {@link
 * io.editstream.processor.throttle.TaskGate#history}). Written with each dispatch (so a call never
 * starts before the history that counts it is committed) and every {@link #EVERY_MS} ms; read when
 * the task starts, so that whoever runs the task next knows what was admitted before it
 * (docs/quota.md, "Winning back the gap of a crash"). Stream thread only.
 */
final class QuotaHistory {
  /** How often a task writes the history down besides its dispatches. */
  static final long EVERY_MS = 100;

  /** Seconds kept: far beyond any quota window. */
  static final long KEEP_SECONDS = 180;

  private final KeyValueStore<String, Long> store;
  private final Map<String, Long> written = new HashMap<>();
  private final Map<String, Long> restored;
  private long lastWriteMs = Long.MIN_VALUE;

  /** Reads the store as restored; entries older than {@link #KEEP_SECONDS} are deleted. */
  QuotaHistory(KeyValueStore<String, Long> store, long nowMs) {
    this.store = store;
    List<String> old = new ArrayList<>();
    long oldest = nowMs / 1000 - KEEP_SECONDS;
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        if (second(kv.key) < oldest) {
          old.add(kv.key);
        } else {
          written.put(kv.key, kv.value);
        }
      }
    }
    old.forEach(store::delete);
    this.restored = Map.copyOf(written);
  }

  /** What the store held when the task started: the history of its earlier owners. */
  Map<String, Long> restored() {
    return restored;
  }

  /** Writes what grew since the last write (counts only grow: the largest is kept). */
  void write(Map<String, Long> known, long nowMs) {
    known.forEach(
        (key, n) -> {
          Long before = written.get(key);
          if (before == null || before < n) {
            store.put(key, n);
            written.put(key, n);
          }
        });
    lastWriteMs = nowMs;
  }

  /** Whether the periodic write is due. */
  boolean due(long nowMs) {
    return nowMs - lastWriteMs >= EVERY_MS;
  }

  /** Deletes what is older than {@link #KEEP_SECONDS}. */
  void purge(long nowMs) {
    long oldest = nowMs / 1000 - KEEP_SECONDS;
    written
        .keySet()
        .removeIf(
            key -> {
              if (second(key) < oldest) {
                store.delete(key);
                return true;
              }
              return false;
            });
  }

  private static long second(String key) {
    try {
      return Long.parseLong(key.substring(key.lastIndexOf('|') + 1));
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE; // not ours: dropped
    }
  }
}
