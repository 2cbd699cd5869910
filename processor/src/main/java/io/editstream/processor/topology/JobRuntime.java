package io.editstream.processor.topology;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.schema.EditJob;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * What the job processors of one instance share: the dispatcher (images, cache, model, blobs), the
 * gate (quota throttles and in-flight bound), the retry policy, the clock, the directory of their
 * pending jobs, the per-tenant daily caps, the tenants held after safety strikes and the batch
 * lane's settings.
 */
public record JobRuntime(
    Dispatcher dispatcher,
    Validator validator,
    DispatchGate gate,
    Clock clock,
    Backoff backoff,
    int maxAttempts,
    int pendingMaxPerTask,
    Duration completedRetention,
    TopologyMetrics metrics,
    DeadLetterSpill deadLetterSpill,
    JobDirectory jobs,
    SpendCaps spendCaps,
    TenantHolds holds,
    BatchSettings batch) {

  /** A runtime without per-tenant caps, safety strikes or a batch lane. */
  public JobRuntime(
      Dispatcher dispatcher,
      Validator validator,
      DispatchGate gate,
      Clock clock,
      Backoff backoff,
      int maxAttempts,
      int pendingMaxPerTask,
      Duration completedRetention,
      TopologyMetrics metrics,
      DeadLetterSpill deadLetterSpill,
      JobDirectory jobs) {
    this(
        dispatcher,
        validator,
        gate,
        clock,
        backoff,
        maxAttempts,
        pendingMaxPerTask,
        completedRetention,
        metrics,
        deadLetterSpill,
        jobs,
        SpendCaps.none(),
        TenantHolds.off(),
        BatchSettings.OFF);
  }

  /**
   * Keeps the bytes of a large undecodable record outside Kafka (claim check) and returns where:
   * the DLQ record then carries headers pointing there instead of the value, so it fits any DLQ
   * topic. Null means never spill.
   */
  @FunctionalInterface
  public interface DeadLetterSpill {
    java.net.URI store(byte[] bytes) throws java.io.IOException;
  }

  /** Checks a decoded job before it is accepted; a failure is published at once. */
  @FunctionalInterface
  public interface Validator {
    Optional<Outcome.Failure> validate(EditJob job);
  }
}
