package io.editstream.processor.throttle;

import java.util.ArrayDeque;

/**
 * Maximum of values added with non-decreasing keys, queried for "keys at or after k" (a monotonic
 * deque: values strictly decrease from the front to the back). Each entry also carries a time so
 * old entries can be evicted. Not thread-safe; owned by a {@link Lane}.
 */
final class WindowMax {
  private record Entry(long key, long time, double value) {}

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  void add(long key, long time, double value) {
    // An older entry that is not larger can never be the answer again.
    while (!entries.isEmpty() && entries.peekLast().value() <= value) {
      entries.pollLast();
    }
    entries.addLast(new Entry(key, time, value));
  }

  /** Largest value among entries with {@code key >= minKey}, or {@code orElse} if none. */
  double maxFrom(long minKey, double orElse) {
    for (Entry e : entries) {
      if (e.key() >= minKey) {
        return e.value();
      }
    }
    return orElse;
  }

  /** Drops entries whose time is before {@code time}. */
  void evictBefore(long time) {
    while (!entries.isEmpty() && entries.peekFirst().time() < time) {
      entries.pollFirst();
    }
  }

  int size() {
    return entries.size();
  }
}
