package io.editstream.processor.throttle;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this instance's accepted jobs wait for quota and for a concurrency slot (DESIGN.md §3-4):
 * one {@link RoutedThrottle} per model over the quota pools of the providers in failover order (one
 * pool per provider and model), shared by every task of the instance, in front of the instance's
 * {@link InFlightLimit}.
 *
 * <p>Callers may rely on:
 *
 * <ul>
 *   <li>A permit is taken only when a concurrency slot is free, and both are handed to the task
 *       that owns the job; the job's model call is expected to start at once, on the provider whose
 *       pool admitted it ({@link TaskGate.Grant#route}). A job is admitted by the first provider in
 *       order whose pool has room and which is {@code available} (circuit not open, quota not
 *       reported exhausted); a job that names a provider only by that provider's pool, in a lane of
 *       its own, so it never holds up jobs that may go elsewhere.
 *   <li>Each task only ever receives its own jobs ({@link TaskGate#take}), so stores stay with the
 *       stream thread that owns them. Grants routed while another task's punctuator ran wait in the
 *       owner's inbox until its next punctuation (at most one tick).
 *   <li>This instance's share of every pool is (tasks registered) / (input partitions): tasks
 *       {@link #register} in {@code Processor#init} and {@link TaskGate#close} in {@code
 *       Processor#close}, which Kafka Streams calls when a task is suspended on revocation, before
 *       the partition can be assigned elsewhere. So the shares of all instances add up to at most 1
 *       at every moment, which is what {@link QuotaPool} needs to keep the whole pool within its
 *       limits.
 *   <li>After the call, {@link TaskGate#settle} gives the slot back and settles the permit as the
 *       {@link Settlement} says: corrects the token estimate from {@code usageMetadata}, refunds
 *       the permit of a call that never reached the model (a cache hit, a coalesced duplicate, an
 *       input rejected before the call) or reports a 429 to the pool so it pauses and slows down,
 *       always to the pool of the provider that admitted (or, after a failover within the call,
 *       answered) the call.
 * </ul>
 *
 * <p>Permits are taken by {@link TaskGate#take} and, once {@link #startPump} was called, also by a
 * background thread that wakes at the pools' {@link RoutedThrottle#nextWakeup} (and whenever a job
 * is queued or a slot frees): the buckets are small, and a token that arrives while the stream
 * thread is busy (a commit, a poll) would otherwise be lost at the bucket's capacity. The job's
 * call then starts at its task's next punctuation; the pools' window slack covers that delay.
 *
 * <p>Thread-safe. Everything takes the gate's lock for microseconds, {@link TaskGate#settle} only
 * to wake the pump.
 */
public final class DispatchGate {
  private static final Logger log = LoggerFactory.getLogger(DispatchGate.class);

  /** Pause when a 429 carries no RetryInfo.retryDelay. */
  public static final Duration DEFAULT_RATE_LIMIT_PAUSE = Duration.ofSeconds(1);

  private final InFlightLimit inFlight;
  private final int inputPartitions;
  private final List<String> providers;
  private final PoolFactory pools;
  private final Predicate<String> available;
  private final boolean pinCalls;
  private final Map<String, Double> tenantWeights;
  private final double defaultTenantWeight;
  private final int queueMax;
  private final MeterRegistry registry;

  private final Map<String, RoutedThrottle<JobRef>> throttles = new LinkedHashMap<>();
  private final List<RoutedThrottle<JobRef>> rotation = new ArrayList<>();
  private final Set<Registration> tasks = new LinkedHashSet<>();
  private int nextPool;
  private double share;

  /** This process in the history keys (its own admissions are in its pools already). */
  private final String origin = java.util.UUID.randomUUID().toString();

  /**
   * What earlier owners of the tasks here admitted, as their stores held it: {@code
   * origin|provider|model|epochSecond} → requests (the largest count seen per key).
   */
  private final Map<String, Long> history = new HashMap<>();

  /**
   * Whether the tasks here keep the pools' history (they registered with their stores): then an
   * empty history is known to be empty too, and the pools run their sliding logs from the start.
   */
  private boolean historyKept;

  /** History entries older than this (behind the newest) are dropped: far beyond any window. */
  static final long HISTORY_SECONDS = 180;

  private Thread pumpThread;
  private volatile boolean pumping;

  /** Longest the background pump sleeps without being woken (a safety net, not the schedule). */
  static final Duration MAX_PUMP_SLEEP = Duration.ofMillis(50);

  /** Makes this instance's pool of one provider and model (called once per pair, share 0). */
  @FunctionalInterface
  public interface PoolFactory {
    QuotaPool create(String model, String provider);
  }

  /** The provider name of a gate built for one pool per model, without providers. */
  public static final String SINGLE_PROVIDER = "default";

  /**
   * One pool per model, no providers to choose between (calls are not pinned to a provider).
   *
   * @param inFlight the instance's concurrency bound
   * @param inputPartitions partitions of the job topic (= tasks of the job sub-topology)
   * @param pools makes the pool of a model (called once per model, share 0)
   * @param tenantWeights fair-sharing weights by tenant
   * @param defaultTenantWeight weight of unlisted tenants
   * @param queueMax jobs that may wait in each pool's queue
   * @param registry where the throttles register their meters
   */
  public DispatchGate(
      InFlightLimit inFlight,
      int inputPartitions,
      Function<String, QuotaPool> pools,
      Map<String, Double> tenantWeights,
      double defaultTenantWeight,
      int queueMax,
      MeterRegistry registry) {
    this(
        inFlight,
        inputPartitions,
        List.of(SINGLE_PROVIDER),
        (model, provider) -> pools.apply(model),
        provider -> true,
        tenantWeights,
        defaultTenantWeight,
        queueMax,
        registry);
  }

  /**
   * One pool per provider and model; jobs go to the first provider in order whose pool admits them.
   *
   * @param inFlight the instance's concurrency bound
   * @param inputPartitions partitions of the job topic (= tasks of the job sub-topology)
   * @param providers provider names in failover order (unique); with more than one, every call is
   *     pinned to the provider whose pool admitted it ({@link #route})
   * @param pools makes the pool of a model at a provider
   * @param available whether a provider takes calls now (e.g. the router's view of its circuit and
   *     exhaustion); asked whenever permits are handed out
   * @param tenantWeights fair-sharing weights by tenant
   * @param defaultTenantWeight weight of unlisted tenants
   * @param queueMax jobs that may wait in each lane (per model: one shared, one per provider for
   *     jobs that name it)
   * @param registry where the throttles register their meters
   */
  public DispatchGate(
      InFlightLimit inFlight,
      int inputPartitions,
      List<String> providers,
      PoolFactory pools,
      Predicate<String> available,
      Map<String, Double> tenantWeights,
      double defaultTenantWeight,
      int queueMax,
      MeterRegistry registry) {
    if (inputPartitions < 1) {
      throw new IllegalArgumentException("inputPartitions must be >= 1 but was " + inputPartitions);
    }
    if (providers == null || providers.isEmpty()) {
      throw new IllegalArgumentException("at least one provider is required");
    }
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    this.inputPartitions = inputPartitions;
    this.providers = List.copyOf(providers);
    if (this.providers.stream().distinct().count() != this.providers.size()) {
      throw new IllegalArgumentException("a provider is listed twice: " + providers);
    }
    this.pinCalls = this.providers.size() > 1;
    this.pools = Objects.requireNonNull(pools, "pools");
    this.available = Objects.requireNonNull(available, "available");
    this.tenantWeights = Map.copyOf(tenantWeights);
    this.defaultTenantWeight = defaultTenantWeight;
    this.queueMax = queueMax;
    this.registry = registry;
    // Fail at start-up, not at the first job, on bad weights.
    new FairScheduler<>(this.tenantWeights, defaultTenantWeight, queueMax);
  }

  /** A gate whose pools are all unlimited (only the concurrency bound applies). */
  public static DispatchGate unlimited(
      InFlightLimit inFlight, int inputPartitions, MeterRegistry registry) {
    return new DispatchGate(
        inFlight,
        inputPartitions,
        model -> QuotaPool.builder(model, new QuotaLimits(0, 0, 0, 0, 1)).build(),
        Map.of(),
        1.0,
        1_000_000,
        registry);
  }

  /** One incarnation of a task's processor: identity, inbox of grants, jobs queued and sent. */
  private final class Registration implements TaskGate {
    private final String task;
    // Calls the task started before it registered (its durable count), for pools made later.
    private final Map<PoolDay, Long> restored;
    // Guarded by the gate's lock.
    private final Map<String, Queued> queued = new HashMap<>();
    private final Map<String, Admitted> granted = new LinkedHashMap<>();
    private boolean open = true;
    // Touched by completion threads too.
    private final Map<String, Admitted> sent = new ConcurrentHashMap<>();

    private Registration(String task, Map<PoolDay, Long> restored) {
      this.task = task;
      this.restored = Map.copyOf(restored);
    }

    @Override
    public Throttle.Submission submit(Demand demand) {
      return DispatchGate.this.submit(this, demand);
    }

    @Override
    public List<Grant> take() {
      return DispatchGate.this.take(this);
    }

    @Override
    public void started(String jobId) {
      Admitted admitted = sent.get(jobId);
      if (admitted != null) {
        admitted.throttle().started(new JobRef(this, jobId));
      }
    }

    @Override
    public void settle(String jobId, Settlement settlement) {
      DispatchGate.this.settle(this, jobId, settlement);
    }

    @Override
    public void close(Map<PoolDay, Long> started) {
      DispatchGate.this.unregister(this, started);
    }

    @Override
    public Map<String, Long> history() {
      return DispatchGate.this.history();
    }

    @Override
    public String toString() {
      return "Registration[" + task + "]";
    }
  }

  /** A queued job: its owner (by identity, so a task's next incarnation never collides) and id. */
  private record JobRef(Registration owner, String jobId) {}

  /** A job waiting for quota: in which throttle, at what cost. */
  private record Queued(RoutedThrottle<JobRef> throttle, Cost cost) {}

  /** A job that has a slot and a permit: whose throttle, which provider's pool admitted it. */
  private record Admitted(RoutedThrottle<JobRef> throttle, String route, Cost cost) {}

  /** A task's processor starts: this instance owns one more input partition. */
  synchronized TaskGate register(String task) {
    return register(task, Map.of());
  }

  /**
   * A task's processor starts with the calls it started earlier (its durable count, by pool and
   * Pacific day): this instance owns one more input partition, and the pools' daily counts include
   * that task's calls of today.
   *
   * @param task names the task in logs
   */
  public synchronized TaskGate register(String task, Map<PoolDay, Long> started) {
    return add(task, started);
  }

  /**
   * A task's processor starts with its durable counts and with the pools' history its store holds
   * ({@link TaskGate#history} of its earlier owners): before this instance's share rises, every
   * pool learns what was admitted in its last window by every other process, so it can make up what
   * a crash left unused and keep within what is left ({@link QuotaPool#restoreHistory}).
   */
  public synchronized TaskGate register(
      String task, Map<PoolDay, Long> started, Map<String, Long> restoredHistory) {
    boolean firstKept = !historyKept;
    historyKept = true;
    if (mergeHistory(restoredHistory) || firstKept) {
      for (RoutedThrottle<JobRef> t : rotation) {
        restoreHistory(t);
      }
    }
    return add(task, started);
  }

  private TaskGate add(String task, Map<PoolDay, Long> started) {
    Registration r = new Registration(task, started);
    tasks.add(r);
    updateShares();
    started.forEach((key, n) -> poolOf(key).ifPresent(p -> p.restoreDailyUse(key.day(), n)));
    return r;
  }

  /** See {@link TaskGate#close}. */
  private synchronized void unregister(Registration r, Map<PoolDay, Long> started) {
    if (!tasks.remove(r)) {
      return;
    }
    r.open = false;
    updateShares();
    started.forEach((key, n) -> poolOf(key).ifPresent(p -> p.releaseDailyUse(key.day(), n)));
    r.queued.forEach((jobId, q) -> q.throttle().cancel(new JobRef(r, jobId)));
    r.queued.clear();
    r.granted.forEach(
        (jobId, admitted) -> {
          admitted.throttle().refund(new JobRef(r, jobId));
          inFlight.release();
        });
    r.granted.clear();
    notifyAll();
  }

  /** See {@link TaskGate#submit}. */
  private synchronized Throttle.Submission submit(Registration r, TaskGate.Demand d) {
    if (!r.open) {
      throw new IllegalStateException(r + " is closed");
    }
    RoutedThrottle<JobRef> throttle = throttleOf(d.model());
    String route = d.provider() != null && providers.contains(d.provider()) ? d.provider() : null;
    Throttle.Submission s =
        throttle.submit(new JobRef(r, d.jobId()), d.cost(), d.tenant(), d.priority(), route);
    if (s == Throttle.Submission.ACCEPTED) {
      r.queued.put(d.jobId(), new Queued(throttle, d.cost()));
      notifyAll(); // the pump may be asleep with nothing queued
    }
    return s;
  }

  /**
   * Moves every job that has both a free slot and a permit now to its owner's inbox, then returns
   * (and empties) the inbox of {@code r}.
   */
  private synchronized List<TaskGate.Grant> take(Registration r) {
    pump();
    if (r.granted.isEmpty()) {
      return List.of();
    }
    List<TaskGate.Grant> out = new ArrayList<>(r.granted.size());
    r.granted.forEach(
        (jobId, a) ->
            out.add(new TaskGate.Grant(jobId, pinCalls ? a.route() : null, dailyKey(a), a.cost())));
    r.sent.putAll(r.granted);
    r.granted.clear();
    return out;
  }

  /** The pool and day whose RPD an admitted call counts against; null if that pool has no RPD. */
  private static PoolDay dailyKey(Admitted a) {
    for (RoutedThrottle.Route route : a.throttle().routes()) {
      if (route.name().equals(a.route())) {
        return route
            .pool()
            .dailyQuotaDay()
            .map(day -> new PoolDay(a.route(), a.throttle().name(), day))
            .orElse(null);
      }
    }
    return null;
  }

  /** See {@link TaskGate#settle}: gives the slot back and settles the permit (any thread). */
  private void settle(Registration r, String jobId, Settlement settlement) {
    Admitted admitted = r.sent.remove(jobId);
    if (admitted == null) {
      return;
    }
    RoutedThrottle<JobRef> throttle = admitted.throttle();
    inFlight.release();
    JobRef ref = new JobRef(r, jobId);
    if (settlement instanceof Settlement.Used used) {
      if (pinCalls && used.servedBy() != null && !used.servedBy().equals(admitted.route())) {
        // The router failed over within the call: the provider that served it pays too.
        throttle.reroute(ref, used.servedBy());
      } else if (used.promptTokens() != null) {
        throttle.correct(ref, Math.max(0, used.promptTokens()));
      } else {
        throttle.complete(ref);
      }
    } else if (settlement instanceof Settlement.RateLimited limited) {
      Duration pause = limited.pause() != null ? limited.pause() : DEFAULT_RATE_LIMIT_PAUSE;
      // The pool of the provider that answered 429, which is not the admitting one when the
      // router failed over within the call.
      String answeredBy =
          pinCalls && limited.answeredBy() != null && throttle.hasRoute(limited.answeredBy())
              ? limited.answeredBy()
              : admitted.route();
      if (limited.perDay()) {
        throttle.onDailyQuotaSpent(answeredBy); // held until midnight Pacific, no rate cut
      } else {
        throttle.onRateLimited(answeredBy, pause);
      }
      // Must end the in-flight record before the task resubmits the job for a retry.
      throttle.complete(ref);
    } else {
      throttle.refund(ref); // Refund: the model was never called
    }
    wakePump(); // a slot is free (and a refund may have given a permit back)
  }

  // False once a clean stop began: the pump grants nothing more (stopGranting).
  private volatile boolean granting = true;

  /**
   * Starts the background thread that takes permits at the moment the pools have them (see the
   * class comment). Idempotent; {@link #close} stops it.
   */
  public synchronized void startPump() {
    if (pumpThread != null) {
      return;
    }
    pumping = true;
    pumpThread = new Thread(this::pumpLoop, "editstream-quota-pump");
    pumpThread.setDaemon(true);
    pumpThread.start();
  }

  /**
   * Grants no more calls: a clean stop lets the calls in flight finish first. Jobs granted already
   * still go out when their tasks take them; queued jobs stay queued for the tasks' next owner.
   */
  public void stopGranting() {
    granting = false;
  }

  // True while something the calls depend on is not ready yet (holdGrants).
  private volatile boolean held;

  /**
   * Grants nothing until {@link #releaseGrants}: the processor holds the calls while it reads the
   * dedup cache's index, so that Kafka Streams can start (and restore) meanwhile without a call
   * missing a result another instance already paid for.
   */
  public void holdGrants() {
    held = true;
  }

  /** See {@link #holdGrants}; a clean stop ({@link #stopGranting}) still wins. */
  public synchronized void releaseGrants() {
    held = false;
    notifyAll(); // the pump may be asleep with jobs queued
  }

  /** Stops the background pump. */
  public void close() {
    Thread t;
    synchronized (this) {
      pumping = false;
      t = pumpThread;
      pumpThread = null;
      notifyAll();
    }
    if (t != null) {
      try {
        t.join(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void pumpLoop() {
    while (pumping) {
      synchronized (this) {
        try {
          pump();
          long sleepNanos = nanosUntilWorthPumping();
          if (pumping && sleepNanos > 0) {
            wait(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          log.error("Quota pump failed; going on", e);
        }
      }
    }
  }

  /** Until the earliest pool can admit its next job, at least 1 ms, at most MAX_PUMP_SLEEP. */
  private long nanosUntilWorthPumping() {
    long max = MAX_PUMP_SLEEP.toNanos();
    if (inFlight.inFlight() >= inFlight.max()) {
      return max; // woken when a slot frees
    }
    long best = max;
    for (RoutedThrottle<JobRef> t : rotation) {
      Optional<Duration> next = t.nextWakeup();
      if (next.isPresent()) {
        best = Math.min(best, next.get().toNanos());
      }
    }
    return Math.max(1_000_000, best);
  }

  private void wakePump() {
    if (pumping) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** The concurrency bound in front of every pool. */
  public InFlightLimit inFlight() {
    return inFlight;
  }

  /** This instance's current share of every pool. */
  public synchronized double share() {
    return share;
  }

  /** The input partitions whose tasks run here now. */
  public synchronized int ownedPartitions() {
    return tasks.size();
  }

  /** Jobs waiting for quota, over all pools. */
  public synchronized int queued() {
    int n = 0;
    for (RoutedThrottle<JobRef> t : rotation) {
      n += t.queued();
    }
    return n;
  }

  /** The providers in failover order. */
  public List<String> providers() {
    return providers;
  }

  /** Snapshots of the pools used so far, by model, then by provider in failover order. */
  public synchronized Map<String, Map<String, QuotaPool.Snapshot>> pools() {
    Map<String, Map<String, QuotaPool.Snapshot>> out = new LinkedHashMap<>();
    throttles.forEach(
        (model, t) -> {
          Map<String, QuotaPool.Snapshot> byProvider = new LinkedHashMap<>();
          t.routes().forEach(r -> byProvider.put(r.name(), r.pool().snapshot()));
          out.put(model, byProvider);
        });
    return out;
  }

  /** Jobs admitted so far by each provider's pool, by model, then provider in failover order. */
  public synchronized Map<String, Map<String, Long>> admitted() {
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    throttles.forEach((model, t) -> out.put(model, t.admittedByRoute()));
    return out;
  }

  private void pump() {
    if (rotation.isEmpty() || !granting || held) {
      return;
    }
    int free = inFlight.acquireFree();
    if (free == 0) {
      return;
    }
    try {
      int n = rotation.size();
      // Start at a different pool each time so one busy pool cannot take every slot forever.
      for (int i = 0; i < n && free > 0; i++) {
        RoutedThrottle<JobRef> throttle = rotation.get((nextPool + i) % n);
        for (RoutedThrottle.Grant<JobRef> grant : throttle.drain(free)) {
          JobRef ref = grant.job();
          Registration owner = ref.owner();
          Queued queued = owner.queued.remove(ref.jobId());
          if (owner.open && queued != null) {
            owner.granted.put(ref.jobId(), new Admitted(throttle, grant.route(), queued.cost()));
            free--;
          } else {
            // Cannot happen: close cancels a task's queued jobs, and a task's queue and the
            // throttle's change together, under this lock.
            log.error("{} granted {} which it did not queue; permit refunded", owner, ref.jobId());
            throttle.refund(ref);
          }
        }
      }
      nextPool = (nextPool + 1) % n;
    } finally {
      inFlight.release(free);
      inFlight.notePeak();
    }
  }

  private RoutedThrottle<JobRef> throttleOf(String model) {
    RoutedThrottle<JobRef> throttle = throttles.get(model);
    if (throttle == null) {
      List<RoutedThrottle.Route> routes = new ArrayList<>();
      for (String provider : providers) {
        QuotaPool pool = pools.create(model, provider);
        pool.setShare(share);
        routes.add(new RoutedThrottle.Route(provider, pool));
        log.info(
            "Quota pool {} of provider {} in use: limits {}, share {}",
            model,
            provider,
            pool.limits(),
            share);
      }
      throttle =
          new RoutedThrottle<>(
              model,
              routes,
              available,
              () -> new FairScheduler<>(tenantWeights, defaultTenantWeight, queueMax),
              registry);
      throttles.put(model, throttle);
      rotation.add(throttle);
      restoreHistory(throttle);
      // Today's calls of the tasks here, counted before this instance used the model.
      for (Registration r : tasks) {
        r.restored.forEach(
            (key, n) -> {
              if (key.model().equals(model)) {
                poolOf(key).ifPresent(p -> p.restoreDailyUse(key.day(), n));
              }
            });
      }
    }
    return throttle;
  }

  /** Merges history entries of other processes (largest count per key); true if any was new. */
  private boolean mergeHistory(Map<String, Long> entries) {
    boolean learned = false;
    long newest = Long.MIN_VALUE;
    for (Map.Entry<String, Long> e : entries.entrySet()) {
      HistoryKey key = HistoryKey.parse(e.getKey());
      if (key == null || key.origin().equals(origin)) {
        continue;
      }
      Long before = history.get(e.getKey());
      if (before == null || before < e.getValue()) {
        history.put(e.getKey(), e.getValue());
        learned = true;
      }
      newest = Math.max(newest, key.second());
    }
    if (learned) {
      long oldest = newest - HISTORY_SECONDS;
      history.keySet().removeIf(k -> HistoryKey.parse(k).second() < oldest);
    }
    return learned;
  }

  /** Gives each pool of {@code throttle} what other processes admitted in it. */
  private void restoreHistory(RoutedThrottle<JobRef> throttle) {
    for (RoutedThrottle.Route route : throttle.routes()) {
      java.util.TreeMap<Long, Long> perSecond = new java.util.TreeMap<>();
      history.forEach(
          (k, n) -> {
            HistoryKey key = HistoryKey.parse(k);
            if (key.model().equals(throttle.name()) && key.provider().equals(route.name())) {
              perSecond.merge(key.second(), n, Long::sum);
            }
          });
      if (!perSecond.isEmpty() || historyKept) {
        QuotaPool pool = route.pool();
        // An earlier owner still running may have admitted a little after its tasks last wrote
        // the history down (they write every 100 ms): half a second's worth at the full rate.
        long unseen = (long) Math.ceil(pool.limits().rpm() / 120.0);
        pool.restoreHistory(perSecond, unseen);
      }
    }
  }

  /** See {@link TaskGate#history}. */
  private synchronized Map<String, Long> history() {
    Map<String, Long> out = new HashMap<>(history);
    for (RoutedThrottle<JobRef> t : rotation) {
      for (RoutedThrottle.Route route : t.routes()) {
        route
            .pool()
            .requestsPerSecond()
            .forEach(
                (second, n) ->
                    out.put(new HistoryKey(origin, route.name(), t.name(), second).encode(), n));
      }
    }
    return out;
  }

  /** A key of the pools' history: which process admitted how much in which pool and second. */
  record HistoryKey(String origin, String provider, String model, long second) {
    String encode() {
      return origin + '|' + provider + '|' + model + '|' + second;
    }

    /** The key, or null when {@code s} is not one. */
    static HistoryKey parse(String s) {
      String[] parts = s.split("\\|", -1);
      if (parts.length != 4) {
        return null;
      }
      try {
        return new HistoryKey(parts[0], parts[1], parts[2], Long.parseLong(parts[3]));
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }

  /** The pool of {@code key}'s model and provider, if this instance has made it. */
  private Optional<QuotaPool> poolOf(PoolDay key) {
    RoutedThrottle<JobRef> throttle = throttles.get(key.model());
    if (throttle == null) {
      return Optional.empty();
    }
    return throttle.routes().stream()
        .filter(route -> route.name().equals(key.provider()))
        .map(RoutedThrottle.Route::pool)
        .findFirst();
  }

  private void updateShares() {
    double next = Math.min(1.0, (double) tasks.size() / inputPartitions);
    if (tasks.size() > inputPartitions) {
      log.warn(
          "{} tasks registered but the job topic had {} partitions at start-up; shares are capped"
              + " at 1 (restart the processors after adding partitions)",
          tasks.size(),
          inputPartitions);
    }
    if (next == share) {
      return;
    }
    log.info(
        "Quota share {} -> {} ({} of {} input partitions)",
        share,
        next,
        tasks.size(),
        inputPartitions);
    share = next;
    for (RoutedThrottle<JobRef> t : rotation) {
      t.setShare(next);
    }
  }
}
