package io.editstream.processor.topology;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter (a uniform draw in [0, min(max, initial * 2^(n-1))]), never
 * shorter than the server's retryDelay when it sent one. Randomness is injected for tests.
 */
public record Backoff(Duration initial, Duration max, DoubleSupplier random) {

  /** The wait before attempt {@code failedAttempts + 1}. */
  public Duration delay(int failedAttempts, Duration serverHint) {
    int exponent = Math.max(0, Math.min(failedAttempts - 1, 30));
    long capMs = Math.min(max.toMillis(), initial.toMillis() << exponent);
    if (capMs < 0) {
      capMs = max.toMillis();
    }
    long jittered = (long) (random.getAsDouble() * capMs);
    Duration d = Duration.ofMillis(jittered);
    if (serverHint != null && serverHint.compareTo(d) > 0) {
      return serverHint;
    }
    return d;
  }
}
