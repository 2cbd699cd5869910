package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The throttle of one model served by several providers, each with its own {@link QuotaPool} (a
 * <em>route</em>), in a configured order of preference. A job waits in a fair queue and leaves when
 * the first eligible route in order admits its {@link Cost}; the route is recorded with the grant,
 * so the call goes to that provider and its pool is the one corrected or refunded afterwards. So
 * the first route is used up to its quota and the overflow goes to the next: aggregate throughput
 * is the sum of the pools.
 *
 * <p>Callers may rely on:
 *
 * <ul>
 *   <li>A job that names no route ({@code route == null}) waits in the shared lane and is eligible
 *       for every route whose pool could ever admit its cost and which is available ({@code
 *       available} is asked at every drain: a provider whose circuit is open or whose quota the
 *       server reported exhausted is skipped). A job that names a route waits in that route's own
 *       lane and is admitted only by that route's pool, so a pinned job behind an exhausted
 *       provider never blocks jobs that may go elsewhere. A job naming an unknown route is treated
 *       as naming none (the provider router rejects it).
 *   <li>Every lane is a {@link FairScheduler} (INTERACTIVE before BULK, tenants by weight). Between
 *       lanes the heads compete by priority, then by arrival. The order is strict per route: while
 *       a job that a route is eligible for cannot pass it, no job after it in that order takes that
 *       route (small jobs cannot starve a large one, BULK cannot overtake INTERACTIVE); it may
 *       still go to another route that it is eligible for.
 *   <li>{@link #correct}, {@link #refund} and {@link #complete} act on the pool that admitted the
 *       job; {@link #onRateLimited} and {@link #setShare} on the named route / every route.
 * </ul>
 *
 * <p>Thread-safe: every method takes the throttle's lock.
 *
 * @param <T> the job handle (distinct by {@code equals})
 */
final class RoutedThrottle<T> {

  /** A provider's pool in the order: the name jobs and calls use, and this instance's pool. */
  public record Route(String name, QuotaPool pool) {
    public Route {
      Objects.requireNonNull(pool, "pool");
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("route name must not be blank");
      }
    }
  }

  /** A job allowed to go now, and the route whose pool admitted (and was charged for) it. */
  public record Grant<T>(T job, String route) {}

  private final String name;
  private final List<Route> routes;
  private final Map<String, Integer> routeIndex = new HashMap<>();
  private final Predicate<String> available;
  private final Supplier<FairScheduler<T>> newLane;
  private final Ticker ticker;
  private final Lane<T> shared;
  private final List<Lane<T>> pinned = new ArrayList<>();
  private final Map<T, Waiting> waiting = new HashMap<>();
  // Dispatched jobs whose permit may still be corrected; older than the horizon they cannot matter.
  private final LinkedHashMap<T, Permit> inFlight = new LinkedHashMap<>();
  private final long correctionHorizonNanos;
  private final Timer waitTimer;
  private final List<Counter> admitted;
  private final long[] admittedCounts;
  private long arrivals;
  private long totalWaitNanos;
  private long dispatched;

  private record Waiting(Cost cost, Priority priority, long seq, long submittedAtNanos) {}

  /** A queue of jobs with the same eligibility: {@code route < 0} = any route. */
  private record Lane<T>(int route, FairScheduler<T> queue) {}

  /**
   * @param name the pool name shared by the routes (the model), for metrics and logs
   * @param routes the providers' pools in order of preference, names unique; their tickers must
   *     tell the same time (the first one's is used for waiting times)
   * @param available whether a route takes calls now (asked at every drain); e.g. {@code p -> true}
   * @param newLane makes an empty queue for a lane (the shared one, and one per route for pinned
   *     jobs, made when first needed); its capacity bounds each lane
   * @param registry optional; registers {@code editstream.throttle.wait} (timer), {@code
   *     editstream.throttle.queued} (gauge), tagged {@code pool}, and {@code
   *     editstream.throttle.admitted} (counter), tagged {@code pool} and {@code provider}
   */
  public RoutedThrottle(
      String name,
      List<Route> routes,
      Predicate<String> available,
      Supplier<FairScheduler<T>> newLane,
      MeterRegistry registry) {
    this.name = Objects.requireNonNull(name, "name");
    if (routes == null || routes.isEmpty()) {
      throw new IllegalArgumentException("at least one route is required");
    }
    this.routes = List.copyOf(routes);
    Ticker first = routes.get(0).pool().ticker();
    long horizon = 0;
    for (int i = 0; i < routes.size(); i++) {
      Route r = routes.get(i);
      if (routeIndex.putIfAbsent(r.name(), i) != null) {
        throw new IllegalArgumentException("route '" + r.name() + "' is listed twice");
      }
      horizon = Math.max(horizon, 2 * r.pool().windowNanos());
    }
    this.available = Objects.requireNonNull(available, "available");
    this.newLane = Objects.requireNonNull(newLane, "newLane");
    this.ticker = first;
    this.correctionHorizonNanos = horizon;
    this.shared = new Lane<>(-1, emptyLane());
    for (int i = 0; i < routes.size(); i++) {
      pinned.add(null); // made on first use
    }
    this.admittedCounts = new long[routes.size()];
    this.admitted = new ArrayList<>();
    if (registry != null) {
      this.waitTimer =
          Timer.builder("editstream.throttle.wait")
              .description("time a job waited in the throttle before dispatch")
              .tag("pool", name)
              .register(registry);
      Gauge.builder("editstream.throttle.queued", this, RoutedThrottle::queued)
          .description("jobs waiting in the throttle")
          .tag("pool", name)
          .register(registry);
      for (Route r : routes) {
        admitted.add(
            Counter.builder("editstream.throttle.admitted")
                .description("jobs admitted by this provider's pool")
                .tags("pool", name, "provider", r.name())
                .register(registry));
      }
    } else {
      this.waitTimer = null;
    }
  }

  /**
   * Queues {@code job}; {@code route} pins it to one provider's pool (null = any).
   *
   * @return {@link Throttle.Submission#TOO_LARGE} if no eligible pool could ever admit the cost
   */
  public synchronized Throttle.Submission submit(
      T job, Cost cost, String tenant, Priority priority, String route) {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(cost, "cost");
    Objects.requireNonNull(priority, "priority");
    if (waiting.containsKey(job) || inFlight.containsKey(job)) {
      return Throttle.Submission.DUPLICATE;
    }
    Integer index = route == null ? null : routeIndex.get(route);
    Lane<T> lane;
    if (index == null) {
      if (routes.stream().noneMatch(r -> r.pool().canEverAdmit(cost))) {
        return Throttle.Submission.TOO_LARGE;
      }
      lane = shared;
    } else {
      if (!routes.get(index).pool().canEverAdmit(cost)) {
        return Throttle.Submission.TOO_LARGE;
      }
      lane = pinnedLane(index);
    }
    if (!lane.queue().offer(tenant, priority, job)) {
      return Throttle.Submission.QUEUE_FULL;
    }
    waiting.put(job, new Waiting(cost, priority, arrivals++, ticker.read()));
    return Throttle.Submission.ACCEPTED;
  }

  /**
   * At most {@code max} jobs allowed to go now, in dispatch order, each charged to the pool of its
   * grant's route. Call it with the number of free concurrency slots, so that a permit is only
   * taken when the call can go at once.
   */
  public synchronized List<Grant<T>> drain(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must be >= 0 but was " + max);
    }
    long now = ticker.read();
    expireInFlight(now);
    List<Grant<T>> out = new ArrayList<>();
    boolean[] usable = new boolean[routes.size()];
    for (int i = 0; i < usable.length; i++) {
      usable[i] = available.test(routes.get(i).name());
    }
    while (out.size() < max) {
      Grant<T> next = admitOne(usable, now);
      if (next == null) {
        break;
      }
      out.add(next);
    }
    return out;
  }

  /**
   * When to call {@link #drain} next: {@link Duration#ZERO} if a job may go now; empty if nothing
   * is queued or no queued head can pass any available route at the current share. Heads are
   * considered as {@link #drain} does: a route an earlier head waits for is not counted for later
   * ones, so a wake-up is never promised that the drain would not keep.
   */
  public synchronized Optional<Duration> nextWakeup() {
    Optional<Duration> best = Optional.empty();
    boolean[] reserved = new boolean[routes.size()];
    for (Candidate<T> c : heads()) {
      Cost cost = c.waiting().cost();
      List<Integer> eligible = eligible(c.lane(), cost, null);
      for (int r : eligible) {
        if (reserved[r]) {
          continue;
        }
        Optional<Duration> at = routes.get(r).pool().nextAvailable(cost);
        if (at.isPresent() && (best.isEmpty() || at.get().compareTo(best.get()) < 0)) {
          best = at;
        }
      }
      for (int r : eligible) {
        reserved[r] = true;
      }
    }
    return best;
  }

  /** Removes a queued job; false if it was not queued (already dispatched or unknown). */
  public synchronized boolean cancel(T job) {
    for (Lane<T> lane : lanes()) {
      if (lane.queue().remove(job)) {
        waiting.remove(job);
        return true;
      }
    }
    return false;
  }

  /** See {@link Throttle#correct}; the admitting pool is corrected. */
  public synchronized void correct(T job, long actualInputTokens) {
    Permit permit = inFlight.remove(job);
    if (permit != null) {
      permit.pool.correct(permit, actualInputTokens);
    }
  }

  /** The job's call leaves now: see {@link QuotaPool#started}. Unknown jobs are ignored. */
  public synchronized void started(T job) {
    Permit permit = inFlight.get(job);
    if (permit != null) {
      permit.pool.started(permit);
    }
  }

  /** See {@link Throttle#refund}; the admitting pool gets the permit back. */
  public synchronized void refund(T job) {
    Permit permit = inFlight.remove(job);
    if (permit != null) {
      permit.pool.refund(permit);
    }
  }

  /**
   * The job's call was served by {@code servedBy}, not by the route that admitted it (the provider
   * router failed over within the call): the admitting pool keeps its charge (the call reached it
   * first), the serving pool is charged after the fact ({@link QuotaPool#chargeAfterTheFact}), and
   * the in-flight record ends. Unknown routes or jobs are ignored.
   */
  public synchronized void reroute(T job, String servedBy) {
    Integer index = routeIndex.get(servedBy);
    Permit permit = inFlight.get(job);
    if (index == null || permit == null) {
      return;
    }
    QuotaPool served = routes.get(index).pool();
    if (served != permit.pool) {
      inFlight.remove(job);
      served.chargeAfterTheFact(permit.cost());
    }
  }

  /** The job finished without usage data (e.g. failed): forget its in-flight record. */
  public synchronized void complete(T job) {
    inFlight.remove(job);
  }

  /** Whether {@code route} names one of this throttle's routes. */
  public boolean hasRoute(String route) {
    return routeIndex.containsKey(route);
  }

  /** The provider of {@code route} answered 429: see {@link QuotaPool#onRateLimited}. */
  public void onRateLimited(String route, Duration retryDelay) {
    Integer index = routeIndex.get(route);
    if (index != null) {
      routes.get(index).pool().onRateLimited(retryDelay);
    }
  }

  /**
   * The provider of {@code route} answered 429 for a per-day quota: see {@link
   * QuotaPool#onDailyQuotaSpent}.
   */
  public void onDailyQuotaSpent(String route) {
    Integer index = routeIndex.get(route);
    if (index != null) {
      routes.get(index).pool().onDailyQuotaSpent();
    }
  }

  /** Sets this instance's share of every route's pool, see {@link QuotaPool#setShare}. */
  public void setShare(double fraction) {
    for (Route r : routes) {
      r.pool().setShare(fraction);
    }
  }

  public String name() {
    return name;
  }

  public List<Route> routes() {
    return routes;
  }

  /** Jobs waiting, over all lanes. */
  public synchronized int queued() {
    return waiting.size();
  }

  /** Jobs waiting for {@code tenant}, over all lanes. */
  public synchronized int queued(String tenant) {
    int n = 0;
    for (Lane<T> lane : lanes()) {
      n += lane.queue().size(tenant);
    }
    return n;
  }

  /** Jobs admitted by each route since start, by route name in order. */
  public synchronized Map<String, Long> admittedByRoute() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < routes.size(); i++) {
      out.put(routes.get(i).name(), admittedCounts[i]);
    }
    return out;
  }

  /** Totals for metrics and tests. */
  public synchronized Throttle.Stats stats() {
    return new Throttle.Stats(waiting.size(), dispatched, Duration.ofNanos(totalWaitNanos));
  }

  // ---- internals ----

  /**
   * Admits the best head that some route takes now. Heads are tried by priority, then arrival; a
   * head that no eligible route takes reserves those routes for the rest of this round.
   */
  private Grant<T> admitOne(boolean[] usable, long now) {
    boolean[] reserved = new boolean[routes.size()];
    for (Candidate<T> c : heads()) {
      List<Integer> eligible = eligible(c.lane(), c.waiting().cost(), usable);
      for (int r : eligible) {
        if (reserved[r]) {
          continue;
        }
        Optional<Permit> permit = routes.get(r).pool().tryAcquire(c.waiting().cost());
        if (permit.isPresent()) {
          return dispatch(c, r, permit.get(), now);
        }
      }
      for (int r : eligible) {
        reserved[r] = true;
      }
    }
    return null;
  }

  private record Candidate<T>(Lane<T> lane, T job, Waiting waiting) {}

  /** The head of every non-empty lane, by priority, then arrival. */
  private List<Candidate<T>> heads() {
    List<Candidate<T>> heads = new ArrayList<>();
    for (Lane<T> lane : lanes()) {
      Optional<T> head = lane.queue().peek();
      head.ifPresent(job -> heads.add(new Candidate<>(lane, job, waiting.get(job))));
    }
    heads.sort(
        Comparator.comparingInt((Candidate<T> c) -> c.waiting().priority().ordinal())
            .thenComparingLong(c -> c.waiting().seq()));
    return heads;
  }

  private Grant<T> dispatch(Candidate<T> c, int route, Permit permit, long now) {
    c.lane().queue().poll();
    waiting.remove(c.job());
    inFlight.put(c.job(), permit);
    long waited = Math.max(0, now - c.waiting().submittedAtNanos());
    totalWaitNanos += waited;
    dispatched++;
    admittedCounts[route]++;
    if (waitTimer != null) {
      waitTimer.record(Duration.ofNanos(waited));
      admitted.get(route).increment();
    }
    return new Grant<>(c.job(), routes.get(route).name());
  }

  /** Routes in order that may admit {@code cost} from {@code lane} ({@code usable} null = ask). */
  private List<Integer> eligible(Lane<T> lane, Cost cost, boolean[] usable) {
    List<Integer> out = new ArrayList<>(routes.size());
    int from = lane.route() < 0 ? 0 : lane.route();
    int to = lane.route() < 0 ? routes.size() : lane.route() + 1;
    for (int r = from; r < to; r++) {
      boolean up = usable != null ? usable[r] : available.test(routes.get(r).name());
      if (up && routes.get(r).pool().canEverAdmit(cost)) {
        out.add(r);
      }
    }
    return out;
  }

  private List<Lane<T>> lanes() {
    List<Lane<T>> out = new ArrayList<>(1 + routes.size());
    out.add(shared);
    for (Lane<T> lane : pinned) {
      if (lane != null) {
        out.add(lane);
      }
    }
    return out;
  }

  private Lane<T> pinnedLane(int route) {
    Lane<T> lane = pinned.get(route);
    if (lane == null) {
      lane = new Lane<>(route, emptyLane());
      pinned.set(route, lane);
    }
    return lane;
  }

  private FairScheduler<T> emptyLane() {
    FairScheduler<T> queue = Objects.requireNonNull(newLane.get(), "newLane gave null");
    if (!queue.isEmpty()) {
      throw new IllegalArgumentException("a new lane must be empty but has " + queue.size());
    }
    return queue;
  }

  private void expireInFlight(long now) {
    Iterator<Permit> it = inFlight.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().admittedAtNanos() > correctionHorizonNanos) {
        it.remove();
      } else {
        break; // insertion order = admission order
      }
    }
  }
}
