package io.editstream.processor.throttle;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * Per-tenant daily caps on a shared model account: a budget in US dollars (at the prices of {@code
 * estimatedCostUsd}) and a number of model requests, per Pacific day (the day Google's daily quotas
 * use). A job whose estimated cost or requests would take its tenant over a cap is not admitted.
 *
 * <p>Like the quota pools, the caps are shared between instances by share: an instance admits
 * against {@code share ×} each cap, where the share is the one its quota pools use (owned input
 * partitions / all partitions), so the instances together stay within every cap. What an instance
 * has spent is the sum of its tasks' durable counts (added when a task opens, taken away when it
 * closes) plus what its calls spent since, so caps hold across restarts and moves.
 *
 * <p>Callers may rely on: {@link #refusal} is empty when no cap is configured for the tenant;
 * amounts are kept in micro-dollars (no rounding drift). Thread-safe.
 */
public final class SpendCaps {
  /** One day's use by one tenant, on this instance. */
  public record Use(long micros, long requests) {
    public static final Use NONE = new Use(0, 0);

    public Use plus(Use o) {
      return new Use(micros + o.micros, requests + o.requests);
    }

    public Use minus(Use o) {
      return new Use(Math.max(0, micros - o.micros), Math.max(0, requests - o.requests));
    }
  }

  /**
   * The configured caps; null values mean no cap.
   *
   * @param usdPerDay budget per tenant in USD per Pacific day
   * @param defaultUsdPerDay budget of tenants not in {@code usdPerDay}
   * @param requestsPerDay model requests per tenant per Pacific day
   * @param defaultRequestsPerDay requests of tenants not in {@code requestsPerDay}
   * @param failOverCap a job over a cap fails (BUDGET_EXCEEDED) instead of waiting for the next day
   */
  public record Caps(
      Map<String, Double> usdPerDay,
      Double defaultUsdPerDay,
      Map<String, Long> requestsPerDay,
      Long defaultRequestsPerDay,
      boolean failOverCap) {
    public static final Caps NONE = new Caps(Map.of(), null, Map.of(), null, false);

    public Caps {
      usdPerDay = Map.copyOf(usdPerDay);
      requestsPerDay = Map.copyOf(requestsPerDay);
    }

    /** True when some tenant has a cap. */
    public boolean any() {
      return !usdPerDay.isEmpty()
          || defaultUsdPerDay != null
          || !requestsPerDay.isEmpty()
          || defaultRequestsPerDay != null;
    }

    Double usd(String tenant) {
      return usdPerDay.getOrDefault(tenant, defaultUsdPerDay);
    }

    Long requests(String tenant) {
      return requestsPerDay.getOrDefault(tenant, defaultRequestsPerDay);
    }
  }

  private record TenantDay(String tenant, LocalDate day) {}

  /** Tenants with their own spend gauge; later ones have none (their caps still hold). */
  static final int METERED_TENANTS_MAX = 100;

  /** The price of a call in USD, at the prices of {@code estimatedCostUsd}. */
  @FunctionalInterface
  public interface Prices {
    double usd(long inputTokens, long outputTokens, int images);
  }

  private final Caps caps;
  private final Prices prices;
  private final DoubleSupplier share;
  private final MeterRegistry registry;
  private final Map<TenantDay, Use> used = new HashMap<>();
  private final Set<String> metered = new HashSet<>();
  private LocalDate latestDay = LocalDate.MIN;

  /**
   * @param caps the configured caps
   * @param prices what a call costs, for the estimate a job is admitted by
   * @param share this instance's share of every cap, in [0, 1] (the quota pools' share)
   * @param registry where {@code editstream_tenant_spend_usd{tenant}} is registered
   */
  public SpendCaps(Caps caps, Prices prices, DoubleSupplier share, MeterRegistry registry) {
    this.caps = Objects.requireNonNull(caps, "caps");
    this.prices = Objects.requireNonNull(prices, "prices");
    this.share = Objects.requireNonNull(share, "share");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** No caps at all: nothing is counted or refused. */
  public static SpendCaps none() {
    return new SpendCaps(
        Caps.NONE,
        (in, out, images) -> 0,
        () -> 1.0,
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
  }

  /** True when some tenant has a cap (otherwise nothing needs counting). */
  public boolean enabled() {
    return caps.any();
  }

  /** A job over a cap fails instead of waiting for the next day ({@code tenant.cap.action}). */
  public boolean failOverCap() {
    return caps.failOverCap();
  }

  /**
   * What a job is admitted by: its requests, and its cost at the configured prices with its input
   * tokens estimated and {@code outputTokensPerImage} for each image it asks for.
   */
  public Use estimate(Cost cost, long outputTokensPerImage) {
    double usd =
        prices.usd(
            cost.estimatedInputTokens(), cost.images() * outputTokensPerImage, cost.images());
    return new Use(Math.round(usd * 1e6), cost.requests());
  }

  /**
   * Why a job of {@code tenant} costing {@code cost} may not be called on {@code day}, naming the
   * cap and its setting; empty if it fits this instance's share of every cap of the tenant.
   */
  public synchronized Optional<String> refusal(String tenant, LocalDate day, Use cost) {
    Double usd = caps.usd(tenant);
    Long requests = caps.requests(tenant);
    if (usd == null && requests == null) {
      return Optional.empty();
    }
    double s = share.getAsDouble();
    Use now = used.getOrDefault(new TenantDay(tenant, day), Use.NONE);
    if (usd != null && now.micros() + cost.micros() > usd * 1e6 * s) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "tenant '%s' has spent $%.4f of its $%.2f budget for %s (Pacific day%s); this job"
                  + " would cost about $%.4f. Raise tenant.budget.usd.per.day (or"
                  + " tenant.budget.default.usd.per.day), or wait for midnight Pacific",
              tenant,
              now.micros() / 1e6,
              usd,
              day,
              s < 1 ? String.format(Locale.ROOT, ", this instance's share %.2f", s) : "",
              cost.micros() / 1e6));
    }
    if (requests != null && now.requests() + cost.requests() > requests * s) {
      return Optional.of(
          String.format(
              Locale.ROOT,
              "tenant '%s' has made %d of its %d model requests for %s (Pacific day%s); this job"
                  + " needs %d. Raise tenant.requests.per.day (or"
                  + " tenant.requests.default.per.day), or wait for midnight Pacific",
              tenant,
              now.requests(),
              requests,
              day,
              s < 1 ? String.format(Locale.ROOT, ", this instance's share %.2f", s) : "",
              cost.requests()));
    }
    return Optional.empty();
  }

  /** Counts {@code use} for {@code tenant} on {@code day} (a call, or a task's restored count). */
  public synchronized void add(String tenant, LocalDate day, Use use) {
    used.merge(new TenantDay(tenant, day), use, Use::plus);
    if (day.isAfter(latestDay)) {
      latestDay = day;
      used.keySet().removeIf(k -> k.day().isBefore(latestDay));
    }
    meter(tenant);
  }

  /** Un-counts {@code use} (a refund, or a task leaving with its count). */
  public synchronized void remove(String tenant, LocalDate day, Use use) {
    used.computeIfPresent(new TenantDay(tenant, day), (k, u) -> u.minus(use));
  }

  /** What this instance counts for {@code tenant} on {@code day}. */
  public synchronized Use used(String tenant, LocalDate day) {
    return used.getOrDefault(new TenantDay(tenant, day), Use.NONE);
  }

  private void meter(String tenant) {
    // The tenant is a free-form field of the job: a bounded number of series.
    if (metered.size() < METERED_TENANTS_MAX && metered.add(tenant)) {
      Gauge.builder(
              "editstream.tenant.spend.usd",
              this,
              c -> c.used(tenant, c.latestDay()).micros() / 1e6)
          .tag("tenant", tenant)
          .description("Estimated USD this instance counts for the tenant today (Pacific day)")
          .register(registry);
    }
  }

  private synchronized LocalDate latestDay() {
    return latestDay;
  }
}
