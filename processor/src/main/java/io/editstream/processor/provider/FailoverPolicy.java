package io.editstream.processor.provider;

import java.time.Duration;

/**
 * When the router leaves a provider.
 *
 * @param exhaustedAfter a 429 whose retry delay is longer than this marks the provider's pool
 *     exhausted until then (RPD spent, RPM window full); shorter 429s are returned to the
 *     processor's retry loop and the provider keeps its traffic
 * @param failureThreshold consecutive failures (5xx, timeouts, connection errors) that open the
 *     provider's circuit
 * @param coolDown how long an open circuit keeps traffic away before one probe call tests it
 */
public record FailoverPolicy(Duration exhaustedAfter, int failureThreshold, Duration coolDown) {

  public FailoverPolicy {
    if (exhaustedAfter == null || exhaustedAfter.isNegative()) {
      throw new IllegalArgumentException("provider.failover.retry.delay.ms: must be >= 0");
    }
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("provider.circuit.failures: must be >= 1");
    }
    if (coolDown == null || coolDown.isNegative() || coolDown.isZero()) {
      throw new IllegalArgumentException("provider.circuit.cooldown.ms: must be > 0");
    }
  }

  /** 10 s, 5 failures, 30 s. */
  public static FailoverPolicy defaults() {
    return new FailoverPolicy(Duration.ofSeconds(10), 5, Duration.ofSeconds(30));
  }
}
