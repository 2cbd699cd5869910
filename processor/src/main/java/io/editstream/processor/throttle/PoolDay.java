package io.editstream.processor.throttle;

import java.time.LocalDate;
import java.util.Objects;

/**
 * One quota pool (a model at a provider) on one Pacific day: the key of a task's durable count of
 * the calls it started (the topology's RPD store), stored as {@code provider|model|day}.
 */
public record PoolDay(String provider, String model, LocalDate day) {
  public PoolDay {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(day, "day");
  }

  public String encode() {
    return provider + '|' + model + '|' + day;
  }

  /** Parses {@link #encode}'s form; the provider has no '|', the day none either. */
  public static PoolDay parse(String key) {
    int first = key.indexOf('|');
    int last = key.lastIndexOf('|');
    if (first <= 0 || last <= first) {
      throw new IllegalArgumentException("not a provider|model|day key: '" + key + "'");
    }
    return new PoolDay(
        key.substring(0, first),
        key.substring(first + 1, last),
        LocalDate.parse(key.substring(last + 1)));
  }
}
