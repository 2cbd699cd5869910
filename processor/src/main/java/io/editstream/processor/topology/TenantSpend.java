package io.editstream.processor.topology;

import io.editstream.processor.throttle.DailyQuota;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.processor.throttle.SpendCaps.Use;
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
 * One task's durable count of what its calls spent, by tenant and Pacific day ({@link
 * JobProcessor#SPEND_STORE}, changelogged): the task's part of the instance's {@link SpendCaps}, so
 * a tenant's spend survives a crash and moves with the partition. A call is counted at its
 * estimated cost when it is dispatched (in the dispatch's transaction), corrected to the cost its
 * result reports when it settles, and given back when it never reached the model. Stream thread
 * only.
 *
 * <p>Store keys are {@code usd|<day>|<tenant>} (micro-dollars) and {@code req|<day>|<tenant>}
 * (model requests); the day has a fixed length, so any tenant string parses back.
 */
final class TenantSpend {
  private static final String USD = "usd|";
  private static final String REQ = "req|";
  private static final int DAY_LENGTH = 10; // yyyy-MM-dd

  private record Key(String tenant, LocalDate day) {}

  private record Counted(Key key, Use use) {}

  private final KeyValueStore<String, Long> store;
  private final SpendCaps caps;
  private final Map<Key, Use> counts = new HashMap<>();
  private final Map<String, Counted> counted = new HashMap<>();

  /** Reads the store as restored (past days deleted) and adds its counts to {@code caps}. */
  TenantSpend(KeyValueStore<String, Long> store, SpendCaps caps, long nowMs) {
    this.store = store;
    this.caps = caps;
    LocalDate today = pacificDay(nowMs);
    List<String> past = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        Key key = parse(kv.key);
        if (key.day().isBefore(today)) {
          past.add(kv.key);
        } else {
          Use u = kv.key.startsWith(USD) ? new Use(kv.value, 0) : new Use(0, kv.value);
          counts.merge(key, u, Use::plus);
        }
      }
    }
    past.forEach(store::delete);
    counts.forEach((k, u) -> caps.add(k.tenant(), k.day(), u));
  }

  static LocalDate pacificDay(long ms) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(ms), DailyQuota.PACIFIC);
  }

  /** Counts the dispatched call of {@code jobId} (estimated {@code use}) for its tenant today. */
  void count(String jobId, String tenant, LocalDate day, Use use) {
    Key key = new Key(tenant, day);
    put(key, counts.merge(key, use, Use::plus));
    caps.add(tenant, day, use);
    counted.put(jobId, new Counted(key, use));
  }

  /** The call never reached the model: un-counts it. */
  void refund(String jobId) {
    Counted c = counted.remove(jobId);
    if (c != null) {
      put(c.key(), take(c.key(), c.use()));
      caps.remove(c.key().tenant(), c.key().day(), c.use());
    }
  }

  /**
   * The call was made: its requests stay counted and its cost becomes {@code actualMicros} (what
   * the outcome reports; 0 for a failure, which reports no cost).
   */
  void settled(String jobId, long actualMicros) {
    Counted c = counted.remove(jobId);
    if (c == null || actualMicros == c.use().micros()) {
      return;
    }
    Use estimate = new Use(c.use().micros(), 0);
    Use actual = new Use(actualMicros, 0);
    Use now = take(c.key(), estimate).plus(actual);
    counts.put(c.key(), now);
    put(c.key(), now);
    caps.remove(c.key().tenant(), c.key().day(), estimate);
    caps.add(c.key().tenant(), c.key().day(), actual);
  }

  /** The task closes before the call of {@code jobId} started: the store is left as it is. */
  void forget(String jobId) {
    Counted c = counted.remove(jobId);
    if (c != null) {
      take(c.key(), c.use());
      caps.remove(c.key().tenant(), c.key().day(), c.use());
    }
  }

  /** The task closes: its counts leave the instance's caps with it. */
  void close() {
    counts.forEach((k, u) -> caps.remove(k.tenant(), k.day(), u));
    counts.clear();
    counted.clear();
  }

  /** Deletes the counts of past days. */
  void purge(long nowMs) {
    LocalDate today = pacificDay(nowMs);
    counts
        .entrySet()
        .removeIf(
            e -> {
              if (e.getKey().day().isBefore(today)) {
                store.delete(USD + encode(e.getKey()));
                store.delete(REQ + encode(e.getKey()));
                caps.remove(e.getKey().tenant(), e.getKey().day(), e.getValue());
                return true;
              }
              return false;
            });
  }

  private Use take(Key key, Use use) {
    Use left = counts.getOrDefault(key, Use.NONE).minus(use);
    counts.put(key, left);
    return left;
  }

  private void put(Key key, Use use) {
    store.put(USD + encode(key), use.micros());
    store.put(REQ + encode(key), use.requests());
  }

  private static String encode(Key key) {
    return key.day() + "|" + key.tenant();
  }

  private static Key parse(String stored) {
    if (stored.length() < 4 + DAY_LENGTH + 1
        || (!stored.startsWith(USD) && !stored.startsWith(REQ))) {
      throw new IllegalArgumentException(
          "not a usd|day|tenant or req|day|tenant key: '" + stored + "'");
    }
    return new Key(
        stored.substring(4 + DAY_LENGTH + 1), LocalDate.parse(stored.substring(4, 4 + DAY_LENGTH)));
  }
}
