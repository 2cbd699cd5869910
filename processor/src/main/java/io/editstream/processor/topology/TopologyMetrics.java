package io.editstream.processor.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The topology's meters (Prometheus names get the editstream_ prefix). */
public final class TopologyMetrics {
  private final MeterRegistry registry;
  private final Counter jobsIn;
  private final Counter deadLettered;
  private final Counter duplicates;
  private final Counter retries;
  private final Counter restored;
  private final Timer modelTime;
  private final Timer queueTime;
  private final Timer overhead;

  public TopologyMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.jobsIn =
        Counter.builder("editstream.jobs.in").description("Input records read").register(registry);
    this.deadLettered =
        Counter.builder("editstream.jobs.dlq")
            .description("Undecodable records sent to the DLQ")
            .register(registry);
    this.duplicates =
        Counter.builder("editstream.jobs.duplicate")
            .description("Records whose jobId was already pending or done: dropped")
            .register(registry);
    this.retries =
        Counter.builder("editstream.model.retries")
            .description("Attempts scheduled again")
            .register(registry);
    this.restored =
        Counter.builder("editstream.jobs.restored")
            .description("Pending jobs found in the store at task start and dispatched again")
            .register(registry);
    this.modelTime =
        Timer.builder("editstream.model.latency")
            .description("Model time per job")
            .publishPercentileHistogram()
            .register(registry);
    this.queueTime =
        Timer.builder("editstream.jobs.queue.time")
            .description("Acceptance to first dispatch")
            .register(registry);
    this.overhead =
        Timer.builder("editstream.jobs.overhead")
            .description("End-to-end time inside the processor minus model time")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  void jobIn() {
    jobsIn.increment();
  }

  void deadLettered() {
    deadLettered.increment();
  }

  void duplicate() {
    duplicates.increment();
  }

  void retry() {
    retries.increment();
  }

  void restored(int n) {
    restored.increment(n);
  }

  void outcome(String outcome, boolean cacheHit) {
    registry
        .counter(
            "editstream.jobs.outcome", "outcome", outcome, "cache_hit", Boolean.toString(cacheHit))
        .increment();
  }

  void tokens(long prompt, long output, Double costUsd) {
    registry.counter("editstream.model.tokens", "kind", "prompt").increment(prompt);
    registry.counter("editstream.model.tokens", "kind", "output").increment(output);
    if (costUsd != null) {
      registry.counter("editstream.model.cost.usd").increment(costUsd);
    }
  }

  void timings(Duration queued, Duration model, Duration overheadTime) {
    queueTime.record(queued);
    modelTime.record(model);
    overhead.record(overheadTime.isNegative() ? Duration.ZERO : overheadTime);
  }
}
