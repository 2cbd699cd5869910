package io.editstream.processor.provider;

import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.throttle.DailyQuota;
import io.editstream.schema.FailureCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link ModelClient} over several providers of the same model, in a configured order.
 *
 * <p>A request that names a provider ({@link ModelRequest#provider()}) goes to that provider only.
 * Otherwise it goes to the first provider in order that is available: its quota pool is not
 * exhausted and its circuit is not open; a {@link ModelRequest#preferredProvider()} (the provider
 * whose quota pool admitted the call) starts the order there, so only it and the providers after it
 * are tried. Within one {@link #generate} call the router moves on to the next available provider
 * when the current one refused the work without doing it:
 *
 * <ul>
 *   <li>429 with a retry delay longer than {@link FailoverPolicy#exhaustedAfter()} (RPD spent, a
 *       long window): the provider is marked exhausted until then;
 *   <li>5xx or a connection failure (an outage): counts against its circuit;
 *   <li>401/403 (bad credentials): its circuit opens at once;
 *   <li>404 (the model id is not served there, e.g. a retired preview id): that model, and only
 *       that model, is marked missing at the provider for {@link FailoverPolicy#coolDown()}; calls
 *       for it skip the provider without a call, and when no candidate serves it the job fails
 *       permanently with {@code MODEL_NOT_FOUND} and a message naming the setting to change. After
 *       the cool-down one call probes the provider again;
 *   <li>any failure that left its circuit open.
 * </ul>
 *
 * A 429 whose {@code QuotaFailure} names a per-day quota ({@link Failure#perDayQuota()}) holds that
 * model at that provider until midnight Pacific, whatever its retryDelay: nothing passes before the
 * daily reset, so calls for it skip the provider without a call, and the failure's retry hint is
 * the time until the reset. Other models of the provider keep flowing.
 *
 * <p>Timeouts and unusable answers count against the circuit but are returned, not sent elsewhere
 * in the same call: the provider may still be working (and billing) on them. A short 429 is
 * returned for the processor's retry loop. When an exhausted pool's delay has passed, or a
 * cool-down has passed and one probe call succeeds, traffic returns to the provider in its place in
 * the order.
 *
 * <p>Callers may rely on: exactly one {@link Outcome} per call (the future never completes
 * exceptionally, each provider is tried at most once per call, and calls made by the router are
 * never duplicated); a {@link Success} names the route that served it and carries its estimated
 * cost from that route's {@link Pricing}; when no provider is available the failure is retryable
 * with the time until the first one is.
 */
public final class ProviderRouter implements ModelClient {

  private static final Logger log = LoggerFactory.getLogger(ProviderRouter.class);

  /** A provider in the order: its name (for jobs and results), its client and its prices. */
  public record Route(String name, ModelClient client, Pricing pricing) {
    public Route {
      Objects.requireNonNull(client, "client");
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("model.providers: a provider name must not be blank");
      }
      pricing = pricing == null ? Pricing.FREE : pricing;
    }

    /** A route named after its client's provider. */
    public static Route of(ModelClient client, Pricing pricing) {
      return new Route(client.provider(), client, pricing);
    }
  }

  private final List<Lane> lanes;
  private final Map<String, Lane> byName;
  private final FailoverPolicy policy;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Counter noProvider;

  /** One route and what the router knows of its health. */
  private final class Lane {
    final Route route;
    final CircuitBreaker breaker;
    private Instant exhaustedUntil = Instant.MIN;

    /** The provider's last refusal of our credentials (MODEL_AUTH). */
    volatile Failure refusal;

    /** Models the provider answered 404 NOT_FOUND for, until a probe may try again. */
    private final Map<String, Missing> missing = new ConcurrentHashMap<>();

    /** Models whose per-day quota the provider said is spent, until the daily reset. */
    private final Map<String, DayHold> dailyHeld = new ConcurrentHashMap<>();

    Lane(Route route) {
      this.route = route;
      this.breaker = new CircuitBreaker(policy.failureThreshold(), policy.coolDown());
    }

    String name() {
      return route.name();
    }

    synchronized boolean exhausted(Instant now) {
      return now.isBefore(exhaustedUntil);
    }

    synchronized void exhaust(Instant until) {
      if (until.isAfter(exhaustedUntil)) {
        exhaustedUntil = until;
      }
    }

    /** Takes the right to call now (a half-open circuit gives it to one caller). */
    boolean tryAcquire(Instant now) {
      return !exhausted(now) && breaker.tryAcquire(now);
    }

    synchronized Instant availableAt(Instant now) {
      Instant pool = now.isBefore(exhaustedUntil) ? exhaustedUntil : now;
      Instant circuit = breaker.availableAt(now);
      return pool.isAfter(circuit) ? pool : circuit;
    }

    boolean available(Instant now) {
      return !availableAt(now).isAfter(now);
    }

    /** The 404 for {@code model} while it stands; empty when a call may be made. */
    Optional<Failure> missing(String model, Instant now) {
      Missing m = missing.get(model);
      return m == null || !now.isBefore(m.until()) ? Optional.empty() : Optional.of(m.refusal());
    }

    /**
     * Whether a call for {@code model} may go to the provider now. When its 404 has expired, the
     * first caller takes the probe: the mark is renewed, so the others keep skipping.
     */
    boolean mayCall(String model, Instant now) {
      boolean[] probe = {true};
      missing.computeIfPresent(
          model,
          (k, m) -> {
            if (now.isBefore(m.until())) {
              probe[0] = false;
              return m;
            }
            return new Missing(now.plus(policy.coolDown()), m.refusal());
          });
      return probe[0];
    }

    void markMissing(String model, Instant now, Failure refusal) {
      missing.put(model, new Missing(now.plus(policy.coolDown()), refusal));
    }

    void found(String model) {
      missing.remove(model);
    }

    /** The provider's hold of {@code model} for its spent per-day quota; null when none. */
    DayHold dayHold(String model, Instant now) {
      DayHold hold = dailyHeld.get(model);
      return hold == null || !now.isBefore(hold.until()) ? null : hold;
    }

    Instant dailyHeldUntil(String model, Instant now) {
      DayHold hold = dayHold(model, now);
      return hold == null ? null : hold.until();
    }

    void holdForTheDay(String model, Instant until, String quotaId) {
      dailyHeld.merge(
          model, new DayHold(until, quotaId), (a, b) -> a.until().isAfter(b.until()) ? a : b);
    }
  }

  /** A model whose per-day quota is spent at a provider: until the reset, and the quota's id. */
  private record DayHold(Instant until, String quotaId) {}

  /** A model a provider does not serve, and until when the router believes it. */
  private record Missing(Instant until, Failure refusal) {}

  /** Distinct models the not-found counter tags before it says "other". */
  static final int MAX_MODEL_TAGS = 20;

  private final Set<String> modelTags = ConcurrentHashMap.newKeySet();

  /**
   * @param routes providers in order of preference; names must be unique
   * @param meters where to publish metrics, or null for none
   */
  public ProviderRouter(
      List<Route> routes, FailoverPolicy policy, Clock clock, MeterRegistry meters) {
    if (routes == null || routes.isEmpty()) {
      throw new IllegalArgumentException("model.providers: at least one provider is required");
    }
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meters = meters == null ? new SimpleMeterRegistry() : meters;
    Map<String, Lane> named = new LinkedHashMap<>();
    List<Lane> ordered = new ArrayList<>();
    for (Route route : routes) {
      Lane lane = new Lane(route);
      if (named.putIfAbsent(route.name(), lane) != null) {
        throw new IllegalArgumentException(
            "model.providers: provider '" + route.name() + "' is listed twice");
      }
      ordered.add(lane);
    }
    this.lanes = List.copyOf(ordered);
    this.byName = Map.copyOf(named);
    for (Lane lane : lanes) {
      Gauge.builder(
              "editstream.provider.circuit.state",
              lane,
              l -> l.breaker.state(this.clock.instant()).ordinal())
          .tag("provider", lane.name())
          .description("Circuit of the provider: 0 closed, 1 half-open, 2 open")
          .register(this.meters);
      Gauge.builder(
              "editstream.provider.available", lane, l -> l.available(this.clock.instant()) ? 1 : 0)
          .tag("provider", lane.name())
          .description("1 when the provider takes calls (pool not exhausted, circuit not open)")
          .register(this.meters);
    }
    this.noProvider =
        Counter.builder("editstream.provider.unavailable")
            .description("Calls answered without any provider: all exhausted or open")
            .register(this.meters);
  }

  /** The provider names in order. */
  public List<String> providers() {
    return lanes.stream().map(Lane::name).toList();
  }

  /** Whether the named provider would take a call now. */
  public boolean available(String provider) {
    Lane lane = byName.get(provider);
    return lane != null && lane.available(clock.instant());
  }

  /**
   * Whether a call pinned to the named provider would be made now: its pool is not exhausted and
   * its circuit is closed, or may send its one probe. The quota gate asks this before it admits a
   * job to the provider's pool, so jobs are not charged to a provider that would refuse them. False
   * for an unknown name.
   */
  public boolean admits(String provider) {
    Lane lane = byName.get(provider);
    if (lane == null) {
      return false;
    }
    Instant now = clock.instant();
    return !lane.exhausted(now) && lane.breaker.wouldAdmit(now);
  }

  @Override
  public String provider() {
    return "router";
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    return generate(request, () -> {});
  }

  /** Runs {@code leaving} when a provider's request leaves (again on a failover: later is safe). */
  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request, Runnable leaving) {
    try {
      if (request.provider() != null) {
        Lane pinned = byName.get(request.provider());
        if (pinned == null) {
          return CompletableFuture.completedFuture(
              Failure.permanent(
                  FailureCode.INVALID_JOB,
                  null,
                  null,
                  ModelRequest.PROVIDER_ATTRIBUTE
                      + ": unknown provider '"
                      + request.provider()
                      + "'; configured: "
                      + providers()));
        }
        return next(request, List.of(pinned), 0, null, leaving);
      }
      Lane preferred =
          request.preferredProvider() == null ? null : byName.get(request.preferredProvider());
      if (preferred != null) {
        return next(
            request, lanes.subList(lanes.indexOf(preferred), lanes.size()), 0, null, leaving);
      }
      return next(request, lanes, 0, null, leaving);
    } catch (RuntimeException e) {
      log.error("Provider router failed before a call", e);
      return CompletableFuture.completedFuture(internal(e));
    }
  }

  /** Calls the first available lane from {@code from}, or answers without a call. */
  private CompletableFuture<Outcome> next(
      ModelRequest request, List<Lane> candidates, int from, Failure previous, Runnable leaving) {
    Instant now = clock.instant();
    for (int i = from; i < candidates.size(); i++) {
      Lane lane = candidates.get(i);
      // The model checks come before tryAcquire: a half-open circuit's probe must not be taken
      // by a call that is then not made.
      if (lane.missing(request.model(), now).isEmpty()
          && lane.dailyHeldUntil(request.model(), now) == null
          && lane.mayCall(request.model(), now)
          && lane.tryAcquire(now)) {
        return call(request, candidates, i, lane, leaving);
      }
    }
    // No call anywhere: every candidate that could take it answered 404 for this model.
    Optional<Failure> notFound = notFoundEverywhere(request.model(), candidates, now);
    if (notFound.isPresent()) {
      return CompletableFuture.completedFuture(notFound.get());
    }
    Optional<Failure> heldForTheDay = heldForTheDay(request.model(), candidates, now, previous);
    if (heldForTheDay.isPresent()) {
      return CompletableFuture.completedFuture(heldForTheDay.get());
    }
    noProvider.increment();
    return CompletableFuture.completedFuture(noneAvailable(candidates, now, previous));
  }

  private CompletableFuture<Outcome> call(
      ModelRequest request, List<Lane> candidates, int index, Lane lane, Runnable leaving) {
    CompletableFuture<Outcome> future;
    try {
      future = Objects.requireNonNull(lane.route.client().generate(request, leaving), "future");
    } catch (RuntimeException e) {
      future = CompletableFuture.failedFuture(e);
    }
    return future
        .handle(
            (outcome, error) -> {
              if (error != null || outcome == null) {
                // A client broke its contract; the job still gets exactly one outcome.
                log.error("Provider {} failed instead of answering", lane.name(), error);
                return (Outcome) internal(error);
              }
              return outcome;
            })
        .thenCompose(outcome -> settle(request, candidates, index, lane, outcome, leaving))
        .exceptionally(ProviderRouter::internal);
  }

  private CompletableFuture<Outcome> settle(
      ModelRequest request,
      List<Lane> candidates,
      int index,
      Lane lane,
      Outcome outcome,
      Runnable leaving) {
    Instant now = clock.instant();
    if (outcome instanceof Success s) {
      lane.breaker.onSuccess();
      lane.refusal = null;
      lane.found(request.model());
      count(lane, "success");
      Success named =
          Objects.equals(s.provider(), lane.name())
              ? s
              : new Success(
                  s.images(), s.text(), s.modelVersion(), s.usage(), s.modelTime(), lane.name());
      int calls = 1 + request.steps().size();
      return CompletableFuture.completedFuture(
          named.withCostUsd(lane.route.pricing().cost(named, calls)));
    }
    Failure f = ((Failure) outcome).answeredBy(lane.name());
    count(lane, f.code().name().toLowerCase(Locale.ROOT));
    String reason = null;
    switch (f.code()) {
      case QUOTA_EXHAUSTED -> {
        Duration delay = f.retryAfter();
        lane.breaker.onNeutral();
        if (f.perDayQuota()) {
          Instant reset = DailyQuota.nextReset(now);
          lane.holdForTheDay(request.model(), reset, f.quotaId());
          Duration untilReset = Duration.between(now, reset);
          if (delay == null || delay.compareTo(untilReset) < 0) {
            f = f.withRetryAfter(untilReset);
          }
          reason = "quota-per-day";
          log.warn(
              "Provider {}: the per-day quota {} of model {} is spent; no calls for it until {}"
                  + " (midnight Pacific)",
              lane.name(),
              f.quotaId(),
              request.model(),
              reset);
        } else if (delay != null && delay.compareTo(policy.exhaustedAfter()) > 0) {
          lane.exhaust(now.plus(delay));
          reason = "quota";
          log.warn("Provider {} exhausted for {} s; failing over", lane.name(), delay.toSeconds());
        }
      }
      case MODEL_UNAVAILABLE -> {
        lane.breaker.onFailure(now);
        reason = "outage";
      }
      case MODEL_AUTH -> {
        lane.breaker.trip(now);
        lane.refusal = f;
        reason = "misconfigured";
        log.warn("Provider {} refused the call ({}); circuit opened", lane.name(), f.code());
      }
      case MODEL_NOT_FOUND -> {
        // The provider is healthy; only this model id is not served there. Other models keep
        // flowing, and calls for this one stop until the cool-down (no retry, no storm).
        lane.breaker.onNeutral();
        f = modelNotFound(lane.name(), request.model(), f);
        lane.markMissing(request.model(), now, f);
        notFound(lane.name(), request.model());
        reason = "model-not-found";
        log.warn(
            "Provider {} does not serve model {}: calls for it stop for {} s. {}",
            lane.name(),
            request.model(),
            policy.coolDown().toSeconds(),
            f.message());
      }
      case MODEL_TIMEOUT, MODEL_ERROR, MODEL_BAD_RESPONSE, INTERNAL -> {
        lane.breaker.onFailure(now);
        if (!lane.available(now)) {
          reason = "circuit";
        }
      }
      default -> lane.breaker.onSuccess(); // a verdict on the job: the provider is healthy
    }
    if (reason == null || index + 1 >= candidates.size()) {
      return CompletableFuture.completedFuture(
          reason == null ? f : withEarliest(f, candidates, now));
    }
    failover(lane, reason);
    return next(request, candidates, index + 1, f, leaving);
  }

  private void failover(Lane from, String reason) {
    Counter.builder("editstream.provider.failovers")
        .tag("from", from.name())
        .tag("reason", reason)
        .description("Calls moved to the next provider within one generate()")
        .register(meters)
        .increment();
  }

  private void count(Lane lane, String outcome) {
    Counter.builder("editstream.provider.calls")
        .tag("provider", lane.name())
        .tag("outcome", outcome)
        .description("Model calls by provider and outcome")
        .register(meters)
        .increment();
  }

  /**
   * When every candidate that is not out for another reason has its per-day quota for {@code model}
   * spent: retryable, with the time until the first reset, and no call made.
   */
  private static Optional<Failure> heldForTheDay(
      String model, List<Lane> candidates, Instant now, Failure previous) {
    DayHold first = null;
    for (Lane l : candidates) {
      DayHold hold = l.dayHold(model, now);
      if (hold == null) {
        if (l.missing(model, now).isEmpty()) {
          return Optional.empty(); // it can serve the model once it is available again
        }
        continue;
      }
      first = first == null || hold.until().isBefore(first.until()) ? hold : first;
    }
    if (first == null) {
      return Optional.empty();
    }
    Instant earliest = first.until();
    Duration wait = Duration.between(now, earliest);
    if (previous != null && previous.code() == FailureCode.QUOTA_EXHAUSTED) {
      return Optional.of(previous.withRetryAfter(wait));
    }
    return Optional.of(
        Failure.retryable(
                FailureCode.QUOTA_EXHAUSTED,
                null,
                "the per-day quota of model " + model + " is spent; held until " + earliest,
                wait)
            .withQuotaId(first.quotaId()));
  }

  /**
   * The 404 of the first candidate when every candidate that is not out for another reason has
   * answered 404 for {@code model}: permanent, no call made.
   */
  private static Optional<Failure> notFoundEverywhere(
      String model, List<Lane> candidates, Instant now) {
    Failure first = null;
    for (Lane l : candidates) {
      Optional<Failure> m = l.missing(model, now);
      if (m.isEmpty()) {
        if (l.available(now)) {
          return Optional.empty(); // a probe of this model is under way there
        }
        continue;
      }
      first = first == null ? m.get() : first;
    }
    return Optional.ofNullable(first);
  }

  /**
   * A 404 for a model, with a message that says what to change. The job fails permanently: a retry
   * would be refused again until the setting or the job's model is fixed.
   */
  static Failure modelNotFound(String provider, String model, Failure answer) {
    String setting =
        "wavespeed".equals(provider)
            ? "wavespeed.model.path"
            : "model.default (or the model.alias.<name> the job names)";
    String message =
        "model '"
            + model
            + "' is not served by provider "
            + provider
            + " ("
            + answer.message()
            + "). Set "
            + setting
            + " to a model id the provider serves, e.g. gemini-3.1-flash-image, the GA id of"
            + " the retired gemini-3.1-flash-image-preview; or fix the job's model field."
            + " Replay the failed jobs afterwards";
    return new Failure(
        FailureCode.MODEL_NOT_FOUND,
        false,
        answer.httpStatus(),
        answer.finishReason(),
        message,
        null,
        answer.modelTime(),
        answer.provider());
  }

  private void notFound(String provider, String model) {
    String tag =
        modelTags.contains(model) || (modelTags.size() < MAX_MODEL_TAGS && modelTags.add(model))
            ? model
            : "other";
    Counter.builder("editstream.model.not.found")
        .tag("provider", provider)
        .tag("model", tag)
        .description("404 NOT_FOUND answers for a model id, by provider and model")
        .register(meters)
        .increment();
  }

  /** No candidate can take the call: retryable, with the time until the first one can. */
  private Failure noneAvailable(List<Lane> candidates, Instant now, Failure previous) {
    if (previous != null) {
      return withEarliest(previous, candidates, now);
    }
    // Every candidate refused our credentials or model: that is a permanent verdict (a setting to
    // fix), not an outage to wait out. No call is made while the circuits are open.
    if (candidates.stream().allMatch(l -> l.refusal != null && !l.exhausted(now))) {
      Failure refusal = candidates.get(0).refusal;
      return new Failure(
          refusal.code(),
          false,
          refusal.httpStatus(),
          refusal.finishReason(),
          refusal.message(),
          null,
          Duration.ZERO);
    }
    Instant earliest = earliest(candidates, now);
    boolean allExhausted = candidates.stream().allMatch(l -> l.exhausted(now));
    StringBuilder why = new StringBuilder("no provider available:");
    for (Lane l : candidates) {
      why.append(' ')
          .append(l.name())
          .append(l.exhausted(now) ? " (quota exhausted)" : " (circuit open)");
    }
    return Failure.retryable(
        allExhausted ? FailureCode.QUOTA_EXHAUSTED : FailureCode.MODEL_UNAVAILABLE,
        null,
        why.toString(),
        Duration.between(now, earliest));
  }

  /** The failure, with its retry hint no later than when the first candidate is available. */
  private Failure withEarliest(Failure f, List<Lane> candidates, Instant now) {
    Duration untilAny = Duration.between(now, earliest(candidates, now));
    Duration hint =
        f.retryAfter() == null || untilAny.compareTo(f.retryAfter()) < 0
            ? (untilAny.isZero() ? f.retryAfter() : untilAny)
            : f.retryAfter();
    return f.withRetryAfter(hint);
  }

  private static Instant earliest(List<Lane> candidates, Instant now) {
    Instant earliest = Instant.MAX;
    for (Lane l : candidates) {
      Instant at = l.availableAt(now);
      if (at.isBefore(earliest)) {
        earliest = at;
      }
    }
    return earliest;
  }

  private static Failure internal(Throwable e) {
    return Failure.retryable(
        FailureCode.INTERNAL,
        null,
        "provider router: " + (e == null ? "no outcome" : e.getClass().getSimpleName()),
        null);
  }

  @Override
  public void close() {
    for (Lane lane : lanes) {
      try {
        lane.route.client().close();
      } catch (RuntimeException e) {
        log.warn("Closing provider {} failed: {}", lane.name(), e.toString());
      }
    }
  }
}
