package io.editstream.processor.topology;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.Cost;
import io.editstream.processor.throttle.FairScheduler;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.processor.throttle.Throttle;
import io.editstream.schema.FailureCode;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
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
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this instance's accepted jobs wait for quota and for a concurrency slot (DESIGN.md §3-4):
 * one {@link Throttle} per quota pool (one pool per model), shared by every task of the instance,
 * in front of the instance's {@link InFlightLimit}.
 *
 * <p>Callers may rely on:
 *
 * <ul>
 *   <li>A permit is taken only when a concurrency slot is free, and both are handed to the task
 *       that owns the job; the job's model call is expected to start at once.
 *   <li>Each task only ever receives its own jobs ({@link #take}), so stores stay with the stream
 *       thread that owns them. Grants routed while another task's punctuator ran wait in the
 *       owner's inbox until its next punctuation (at most one tick).
 *   <li>This instance's share of every pool is (tasks registered) / (input partitions): tasks
 *       register in {@code Processor#init} and unregister in {@code Processor#close}, which Kafka
 *       Streams calls when a task is suspended on revocation, before the partition can be assigned
 *       elsewhere. So the shares of all instances add up to at most 1 at every moment, which is
 *       what {@link QuotaPool} needs to keep the whole pool within its limits.
 *   <li>After the call, {@link #finished} gives the slot back, corrects the token estimate from
 *       {@code usageMetadata}, refunds the permit of a call that never reached the model (a cache
 *       hit, a coalesced duplicate, an input rejected before the call) and reports 429s to the pool
 *       so it pauses and slows down.
 * </ul>
 *
 * <p>Permits are taken by {@link #take} and, once {@link #startPump} was called, also by a
 * background thread that wakes at the pools' {@link Throttle#nextWakeup} (and whenever a job is
 * queued or a slot frees): the buckets are small, and a token that arrives while the stream thread
 * is busy (a commit, a poll) would otherwise be lost at the bucket's capacity. The job's call then
 * starts at its task's next punctuation; the pools' window slack covers that delay.
 *
 * <p>Thread-safe. Everything takes the gate's lock for microseconds, {@link #finished} only to wake
 * the pump.
 */
public final class DispatchGate {
  private static final Logger log = LoggerFactory.getLogger(DispatchGate.class);

  /** Pause when a 429 carries no RetryInfo.retryDelay. */
  static final Duration DEFAULT_RATE_LIMIT_PAUSE = Duration.ofSeconds(1);

  // Codes of attempts that failed before the model was called: their permit was never used.
  private static final Set<FailureCode> BEFORE_THE_CALL =
      EnumSet.of(
          FailureCode.INVALID_JOB,
          FailureCode.NO_IMAGES,
          FailureCode.TOO_MANY_IMAGES,
          FailureCode.INSTRUCTION_MISSING,
          FailureCode.INSTRUCTION_TOO_LONG,
          FailureCode.UNSUPPORTED_IMAGE_TYPE,
          FailureCode.IMAGE_TOO_LARGE,
          FailureCode.IMAGE_DIMENSIONS_TOO_LARGE,
          FailureCode.IMAGE_DIGEST_MISMATCH,
          FailureCode.URI_NOT_ALLOWED,
          FailureCode.IMAGE_FETCH_FAILED);

  private final InFlightLimit inFlight;
  private final int inputPartitions;
  private final Function<String, QuotaPool> pools;
  private final Map<String, Double> tenantWeights;
  private final double defaultTenantWeight;
  private final int queueMax;
  private final MeterRegistry registry;

  private final Map<String, Throttle<JobRef>> throttles = new LinkedHashMap<>();
  private final List<Throttle<JobRef>> rotation = new ArrayList<>();
  private final Set<Registration> tasks = new LinkedHashSet<>();
  private int nextPool;
  private double share;
  private Thread pumpThread;
  private volatile boolean pumping;

  /** Longest the background pump sleeps without being woken (a safety net, not the schedule). */
  static final Duration MAX_PUMP_SLEEP = Duration.ofMillis(50);

  /**
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
    if (inputPartitions < 1) {
      throw new IllegalArgumentException("inputPartitions must be >= 1 but was " + inputPartitions);
    }
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    this.inputPartitions = inputPartitions;
    this.pools = Objects.requireNonNull(pools, "pools");
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
  static final class Registration {
    final TaskId task;
    // Guarded by the gate's lock.
    private final Map<String, Throttle<JobRef>> queued = new HashMap<>();
    private final Map<String, Throttle<JobRef>> granted = new LinkedHashMap<>();
    private boolean open = true;
    // Touched by completion threads too.
    private final Map<String, Throttle<JobRef>> sent = new ConcurrentHashMap<>();

    private Registration(TaskId task) {
      this.task = task;
    }

    @Override
    public String toString() {
      return "Registration[" + task + "]";
    }
  }

  /** A queued job: its owner (by identity, so a task's next incarnation never collides) and id. */
  record JobRef(Registration owner, String jobId) {}

  /** A task's processor starts: this instance owns one more input partition. */
  synchronized Registration register(TaskId task) {
    Registration r = new Registration(task);
    tasks.add(r);
    updateShares();
    return r;
  }

  /**
   * A task's processor closes (revocation, shutdown): its share goes first, then its queued jobs
   * and its grants not yet sent (their slots and permits go back). Calls in flight finish through
   * {@link #finished} as usual.
   */
  synchronized void unregister(Registration r) {
    if (!tasks.remove(r)) {
      return;
    }
    r.open = false;
    updateShares();
    r.queued.forEach((jobId, throttle) -> throttle.cancel(new JobRef(r, jobId)));
    r.queued.clear();
    r.granted.forEach(
        (jobId, throttle) -> {
          throttle.refund(new JobRef(r, jobId));
          inFlight.release();
        });
    r.granted.clear();
    notifyAll();
  }

  /** Queues a job of task {@code r} in the pool of {@code model}. */
  synchronized Throttle.Submission submit(
      Registration r, String jobId, String model, String tenant, Priority priority, Cost cost) {
    if (!r.open) {
      throw new IllegalStateException(r + " is closed");
    }
    Throttle<JobRef> throttle = throttleOf(model);
    Throttle.Submission s = throttle.submit(new JobRef(r, jobId), cost, tenant, priority);
    if (s == Throttle.Submission.ACCEPTED) {
      r.queued.put(jobId, throttle);
      notifyAll(); // the pump may be asleep with nothing queued
    }
    return s;
  }

  /**
   * Moves every job that has both a free slot and a permit now to its owner's inbox, then returns
   * (and empties) the inbox of {@code r}. The caller must start each returned job's call, or give
   * it back with {@link #abandon}.
   */
  synchronized List<String> take(Registration r) {
    pump();
    if (r.granted.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(r.granted.keySet());
    r.sent.putAll(r.granted);
    r.granted.clear();
    return out;
  }

  /** A job handed out by {@link #take} is not sent after all: its slot and permit go back. */
  void abandon(Registration r, String jobId) {
    Throttle<JobRef> throttle = r.sent.remove(jobId);
    if (throttle != null) {
      throttle.refund(new JobRef(r, jobId));
      inFlight.release();
      wakePump();
    }
  }

  /**
   * The call of a job handed out by {@link #take} is over (any thread): gives the slot back and
   * settles the permit with what the attempt came to.
   */
  void finished(Registration r, String jobId, Dispatcher.Attempt attempt) {
    Throttle<JobRef> throttle = r.sent.remove(jobId);
    if (throttle == null) {
      return;
    }
    inFlight.release();
    JobRef ref = new JobRef(r, jobId);
    if (attempt instanceof Dispatcher.Produced p) {
      if (p.cacheHit()) {
        throttle.refund(ref); // answered by the dedup cache or a coalesced call: no quota used
      } else if (p.usage() != null) {
        throttle.correct(ref, Math.max(0, p.usage().getPromptTokens()));
      } else {
        throttle.complete(ref);
      }
    } else if (attempt instanceof Dispatcher.Failed failed) {
      Outcome.Failure f = failed.failure();
      if (f.httpStatus() == null && BEFORE_THE_CALL.contains(f.code())) {
        throttle.refund(ref);
        return;
      }
      if (isRateLimited(f)) {
        Duration pause = f.retryAfter() != null ? f.retryAfter() : DEFAULT_RATE_LIMIT_PAUSE;
        throttle.onRateLimited(pause);
      }
      // Must end the in-flight record before the task resubmits the job for a retry.
      throttle.complete(ref);
    }
    wakePump(); // a slot is free (and a refund may have given a permit back)
  }

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
    for (Throttle<JobRef> t : rotation) {
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
    for (Throttle<JobRef> t : rotation) {
      n += t.queued();
    }
    return n;
  }

  /** Snapshots of the pools used so far, by model. */
  public synchronized Map<String, QuotaPool.Snapshot> pools() {
    Map<String, QuotaPool.Snapshot> out = new LinkedHashMap<>();
    throttles.forEach((model, t) -> out.put(model, t.pool().snapshot()));
    return out;
  }

  private void pump() {
    if (rotation.isEmpty()) {
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
        Throttle<JobRef> throttle = rotation.get((nextPool + i) % n);
        for (JobRef ref : throttle.drain(free)) {
          Registration owner = ref.owner();
          owner.queued.remove(ref.jobId());
          if (owner.open) {
            owner.granted.put(ref.jobId(), throttle);
            free--;
          } else {
            throttle.refund(ref); // cannot happen: unregister cancels under this lock
          }
        }
      }
      nextPool = (nextPool + 1) % n;
    } finally {
      inFlight.release(free);
      inFlight.notePeak();
    }
  }

  private Throttle<JobRef> throttleOf(String model) {
    Throttle<JobRef> throttle = throttles.get(model);
    if (throttle == null) {
      QuotaPool pool = pools.apply(model);
      pool.setShare(share);
      throttle =
          new Throttle<>(
              pool, new FairScheduler<>(tenantWeights, defaultTenantWeight, queueMax), registry);
      throttles.put(model, throttle);
      rotation.add(throttle);
      log.info("Quota pool {} in use: limits {}, share {}", model, pool.limits(), share);
    }
    return throttle;
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
    for (Throttle<JobRef> t : rotation) {
      t.setShare(next);
    }
  }

  private static boolean isRateLimited(Outcome.Failure f) {
    return f.code() == FailureCode.QUOTA_EXHAUSTED
        && (f.httpStatus() == null || f.httpStatus() == 429);
  }
}
