package io.editstream.processor.topology;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/** The topology's meters (Prometheus names get the editstream_ prefix). */
public final class TopologyMetrics {
  static final String PENDING_OLDEST_AGE = "editstream.jobs.pending.oldest.age";
  static final String BATCH_OLDEST_AGE = "editstream.jobs.batch.oldest.age";
  static final String SAFETY_BLOCKED = "editstream.jobs.safety.blocked";
  static final String TENANT_STRIKES = "editstream.tenant.strikes";
  static final String TENANT_HOLDS = "editstream.tenant.holds";

  /**
   * Distinct tenants that get their own series in {@link #SAFETY_BLOCKED}; later ones are counted
   * as {@code tenant="other"}. The tenant is a free-form field of the job, so without a cap a
   * producer with many (or made-up) tenants would create series without bound, in this registry and
   * in Prometheus.
   */
  static final int SAFETY_TENANTS_MAX = 100;

  static final String OTHER_TENANT = "other";
  static final String NO_TENANT = "none";

  private final MeterRegistry registry;
  private final Set<String> safetyTenants = new HashSet<>();
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

  /** A job of {@code tenant} was held or failed because the tenant is over a daily cap. */
  void overCap(String tenant) {
    registry.counter("editstream.tenant.over.cap", "tenant", safetyTenant(tenant)).increment();
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

  /**
   * A job ended blocked by the model's safety filters ({@code code} PROMPT_BLOCKED or
   * IMAGE_SAFETY), counted per tenant for the first {@link #SAFETY_TENANTS_MAX} tenants seen.
   */
  void safetyBlocked(String tenant, String code) {
    registry.counter(SAFETY_BLOCKED, "tenant", safetyTenant(tenant), "code", code).increment();
  }

  /**
   * A safety outcome reached the strike counter of its tenant ({@code editstream.tenant.strikes},
   * same tenant cap as {@link #safetyBlocked}).
   */
  void strike(String tenant) {
    registry.counter(TENANT_STRIKES, "tenant", safetyTenant(tenant)).increment();
  }

  /** The strike counter held a tenant ({@code editstream.tenant.holds}). */
  void tenantHeld(String tenant) {
    registry.counter(TENANT_HOLDS, "tenant", safetyTenant(tenant)).increment();
  }

  private String safetyTenant(String tenant) {
    String t = tenant == null || tenant.isEmpty() ? NO_TENANT : tenant;
    synchronized (safetyTenants) { // stream threads share this; blocks are rare
      if (safetyTenants.contains(t)) {
        return t;
      }
      if (safetyTenants.size() < SAFETY_TENANTS_MAX) {
        safetyTenants.add(t);
        return t;
      }
      return OTHER_TENANT;
    }
  }

  /**
   * Registers the task's gauge of the age of its oldest pending job outside a batch; {@code
   * ageSeconds} is read on scrape, off the stream thread. The caller must {@link #removeOldestAge
   * remove} it when the task closes: tasks move between instances, and a gauge left behind would
   * report its last job's age growing forever.
   */
  Gauge pendingOldestAge(String task, Supplier<Number> ageSeconds) {
    return oldestAge(
        PENDING_OLDEST_AGE,
        "Seconds since the oldest pending (accepted, unanswered) job outside a batch was accepted",
        task,
        ageSeconds);
  }

  /** The same for the task's jobs in a batch of the batch lane ({@link JobState#IN_BATCH}). */
  Gauge batchOldestAge(String task, Supplier<Number> ageSeconds) {
    return oldestAge(
        BATCH_OLDEST_AGE,
        "Seconds since the oldest job in a batch (batch lane) was accepted",
        task,
        ageSeconds);
  }

  private Gauge oldestAge(
      String name, String description, String task, Supplier<Number> ageSeconds) {
    Gauge stale = registry.find(name).tag("task", task).gauge();
    if (stale != null) {
      // A previous owner of the task on this instance that did not close: ours replaces it
      // (otherwise the registry would hand back the old gauge, reading the old processor).
      registry.remove(stale);
    }
    return Gauge.builder(name, ageSeconds)
        .description(description)
        .baseUnit("seconds")
        .tag("task", task)
        .strongReference(true)
        .register(registry);
  }

  /** Removes the gauge if it is still the registered one (a newer owner may have replaced it). */
  void removeOldestAge(Gauge gauge) {
    Gauge current = registry.find(gauge.getId().getName()).tags(gauge.getId().getTags()).gauge();
    if (current == gauge) {
      registry.remove(gauge);
    }
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

  /**
   * A job left the batch lane ({@code editstream_batch_jobs_total}): {@code outcome} answered (its
   * batch succeeded), online (sent online) or failed; {@code cause} answer, batch_ended (the batch
   * failed, expired, was cancelled, refused or lost) or deadline ({@code batch.deadline.ms}).
   */
  void batchJob(String outcome, String cause) {
    Counter.builder("editstream.batch.jobs")
        .description("Jobs that left the batch lane, by outcome and cause")
        .tag("outcome", outcome)
        .tag("cause", cause)
        .register(registry)
        .increment();
  }
}
