package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig.SafetyStrikes;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which tenants' jobs are held after safety strikes, as this instance last read the holds topic
 * ({@code topic.holds}, a global store: every instance reads every record). Shared by the tasks of
 * one instance.
 *
 * <p>Callers may rely on:
 *
 * <ul>
 *   <li>{@link #isHeld} answers from memory on any thread, without blocking or I/O.
 *   <li>{@link #version} grows after every change of any tenant's state, so a task that parks held
 *       jobs only needs to look again when it has changed ({@link HeldJobs}).
 *   <li>A hold reaches every instance within about a commit interval and a poll of the global
 *       consumer after the strike that crossed the threshold; jobs started before that are not
 *       stopped.
 * </ul>
 *
 * <p>The gauge {@code editstream.tenant.held{tenant}} is 1 while the tenant is held here, 0 after
 * its release (for the first {@link #GAUGED_TENANTS_MAX} tenants ever held; later ones are logged).
 */
public final class TenantHolds {
  private static final Logger log = LoggerFactory.getLogger(TenantHolds.class);

  static final String HELD_GAUGE = "editstream.tenant.held";

  /** Tenants that get a gauge of their own: holds are rare, but the tenant is free-form. */
  static final int GAUGED_TENANTS_MAX = 100;

  /**
   * A tenant's state as its last record on the holds topic says.
   *
   * @param atMs when the hold started, or when the release was asked for (epoch ms)
   * @param strikes safety outcomes counted when the hold started; 0 on a release
   * @param jobIds the jobs whose outcomes counted; empty on a release
   * @param by the processor (application id) for a hold, the operator for a release; may be null
   * @param reason why, in words; may be null
   */
  public record Hold(
      String tenant,
      boolean held,
      long atMs,
      int strikes,
      Duration window,
      List<String> jobIds,
      String by,
      String reason) {
    public Hold {
      Objects.requireNonNull(tenant, "tenant");
      jobIds = List.copyOf(jobIds);
    }

    /** For a failure message or a log line: who held the tenant, since when and why. */
    String describe() {
      return "tenant '"
          + tenant
          + "' is held since "
          + Instant.ofEpochMilli(atMs)
          + (strikes > 0
              ? " after "
                  + strikes
                  + " safety blocks (PROMPT_BLOCKED, IMAGE_SAFETY) within "
                  + window
              : "")
          + (reason == null ? "" : " (" + reason + ")");
    }
  }

  private final SafetyStrikes policy;
  private final MeterRegistry registry;
  private final Map<String, Hold> holds = new ConcurrentHashMap<>();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();
  private final AtomicLong version = new AtomicLong();

  /**
   * @param policy the threshold, window and action (safety.strikes.*)
   * @param registry where the per-tenant gauges go; null for none
   */
  public TenantHolds(SafetyStrikes policy, MeterRegistry registry) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.registry = registry;
  }

  /** No strikes counted and nothing held yet (holds written on the topic still apply). */
  public static TenantHolds off() {
    return new TenantHolds(SafetyStrikes.OFF, null);
  }

  public SafetyStrikes policy() {
    return policy;
  }

  /** Whether {@code tenant}'s jobs are held now ({@code null} is the tenant {@code ""}). */
  public boolean isHeld(String tenant) {
    Hold h = holds.get(tenant == null ? "" : tenant);
    return h != null && h.held();
  }

  /** The last record of {@code tenant}, held or released; empty if it never had one. */
  public Optional<Hold> hold(String tenant) {
    return Optional.ofNullable(holds.get(tenant == null ? "" : tenant));
  }

  /** The tenants held now, by name. */
  public Map<String, Hold> held() {
    Map<String, Hold> out = new TreeMap<>();
    holds.forEach(
        (tenant, h) -> {
          if (h.held()) {
            out.put(tenant, h);
          }
        });
    return out;
  }

  /** Grows after every change; read it before {@link #isHeld} to miss none. */
  long version() {
    return version.get();
  }

  /** A record read from the holds topic (the global store's thread, or its restore). */
  void update(Hold hold) {
    Hold before = holds.put(hold.tenant(), hold);
    version.incrementAndGet();
    gauge(hold.tenant());
    boolean wasHeld = before != null && before.held();
    if (hold.held() && !wasHeld) {
      log.warn(
          "Safety strikes: {}; its jobs {} until: editstream tenant release {}",
          hold.describe(),
          policy.action() == SafetyStrikes.Action.FAIL
              ? "fail as TENANT_SUSPENDED"
              : "wait without a model call",
          hold.tenant().isEmpty() ? "''" : hold.tenant());
    } else if (!hold.held() && wasHeld) {
      log.info(
          "Tenant '{}' released at {}{}{}: its jobs run again",
          hold.tenant(),
          Instant.ofEpochMilli(hold.atMs()),
          hold.by() == null ? "" : " by " + hold.by(),
          hold.reason() == null ? "" : " (" + hold.reason() + ")");
    }
  }

  /** A tombstone on the holds topic: the tenant has no record any more (not held). */
  void forget(String tenant) {
    holds.remove(tenant);
    version.incrementAndGet();
  }

  private void gauge(String tenant) {
    if (registry == null || gauged.contains(tenant)) {
      return;
    }
    if (gauged.size() >= GAUGED_TENANTS_MAX) {
      log.warn(
          "Tenant '{}' has no {} gauge: {} tenants have one already",
          tenant,
          HELD_GAUGE,
          GAUGED_TENANTS_MAX);
      return;
    }
    if (gauged.add(tenant)) {
      Gauge.builder(HELD_GAUGE, this, h -> h.isHeld(tenant) ? 1 : 0)
          .description("1 while the tenant's jobs are held after safety strikes, else 0")
          .tag("tenant", tenant.isEmpty() ? TopologyMetrics.NO_TENANT : tenant)
          .strongReference(true)
          .register(registry);
    }
  }
}
