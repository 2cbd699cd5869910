package io.editstream.processor.topology;

import io.editstream.processor.throttle.DailyQuota;
import io.editstream.processor.throttle.PoolDay;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's durable count of the calls it started, by quota pool and Pacific day ({@link
 * JobProcessor#RPD_STORE}, changelogged): what the instance's pools count against their RPD for
 * this task, so the count survives a crash and moves with the partition. Stream thread only.
 */
final class DailyCounts {
  private final KeyValueStore<String, Long> store;
  // What the store holds (today, and days not purged yet), for the gate when the task closes.
  private final Map<PoolDay, Long> started = new HashMap<>();
  // Jobs whose call is counted and not settled yet: a refund un-counts it.
  private final Map<String, Counted> counted = new HashMap<>();

  private record Counted(PoolDay key, long requests) {}

  /** Reads the store as restored; entries of days before {@code nowMs}'s are deleted. */
  DailyCounts(KeyValueStore<String, Long> store, long nowMs) {
    this.store = store;
    LocalDate today = pacificDay(nowMs);
    List<String> past = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        PoolDay key = PoolDay.parse(kv.key);
        if (key.day().isBefore(today)) {
          past.add(kv.key);
        } else {
          started.put(key, kv.value);
        }
      }
    }
    past.forEach(store::delete);
  }

  /** The requests counted, by pool and day: what the pools add on init and take away on close. */
  Map<PoolDay, Long> started() {
    return started;
  }

  /** Counts the call of {@code jobId} against {@code key}'s RPD (null key: the pool has none). */
  void count(String jobId, PoolDay key, long requests) {
    if (key == null || requests == 0) {
      return;
    }
    store.put(key.encode(), started.merge(key, requests, Long::sum));
    counted.put(jobId, new Counted(key, requests));
  }

  /** The counted call never reached the model (its permit went back): un-counts it. */
  void refund(String jobId) {
    Counted c = counted.remove(jobId);
    if (c != null) {
      store.put(c.key().encode(), take(c));
    }
  }

  /** The call was made: it stays counted. */
  void settled(String jobId) {
    counted.remove(jobId);
  }

  /**
   * The task closes before the call of {@code jobId} started: the pools get its permit back, so
   * what the task hands over to them on close must not include it (the store is left as it is).
   */
  void forget(String jobId) {
    Counted c = counted.remove(jobId);
    if (c != null) {
      take(c);
    }
  }

  /** Deletes the counts of past days (the pools have reset them at midnight Pacific). */
  void purge(long nowMs) {
    LocalDate today = pacificDay(nowMs);
    started
        .keySet()
        .removeIf(
            key -> {
              if (key.day().isBefore(today)) {
                store.delete(key.encode());
                return true;
              }
              return false;
            });
  }

  private long take(Counted c) {
    long n = Math.max(0, started.getOrDefault(c.key(), 0L) - c.requests());
    started.put(c.key(), n);
    return n;
  }

  private static LocalDate pacificDay(long ms) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(ms), DailyQuota.PACIFIC);
  }
}
