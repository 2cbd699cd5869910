package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig.SafetyStrikes;
import io.editstream.processor.model.ModelIds;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.Cost;
import io.editstream.processor.throttle.DailyQuota;
import io.editstream.processor.throttle.JobCost;
import io.editstream.processor.throttle.Settlement;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.processor.throttle.TaskGate;
import io.editstream.processor.throttle.Throttle;
import io.editstream.schema.CancelRequest;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Lanes;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.Gauge;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps 2-8 for the jobs of one task (records keyed by jobId).
 *
 * <p>A job is accepted by writing it to the changelogged pending store in the transaction that
 * consumes it, and removed in the transaction that emits its outcome, so a crash at any point
 * either replays the record or restores the entry, which {@link #init} dispatches again. Model
 * calls run on other threads; their completions come back through a queue that only the stream
 * thread drains (in {@link #process} and in a 5 ms wall-clock punctuation), so the stores and the
 * record context are only ever touched by the stream thread. The {@code completed} store remembers
 * finished jobIds, so a duplicate record gets no second outcome.
 *
 * <p>Accepted jobs (and retries, when their backoff is over) are submitted to the instance's {@link
 * io.editstream.processor.throttle.DispatchGate} through this task's {@link TaskGate}: its per-pool
 * throttle orders them fairly across tenants and admits them within the quota, a free in-flight
 * slot first, then a permit. Each punctuation takes this task's grants and records their dispatch
 * (the pending entry, and the call in the task's RPD count, {@link DailyCounts}); the calls start
 * at the next punctuation, after the commit. The task registers with the gate in {@link #init} and
 * closes its door in {@link #close}, which is how the instance's share of every pool follows its
 * partitions. A job whose tenant is held after safety strikes ({@link TenantHolds}) is not queued,
 * or is given back when granted: it is parked ({@link HeldJobs}) until the release, or fails, per
 * safety.strikes.action.
 *
 * <p>The outcome of a model call asks for a commit at once ({@code context.commit()}) rather than
 * at the next {@code commit.interval.ms}: it is invisible to {@code read_committed} consumers until
 * then, and these outcomes come at most at the quota's rate, so the extra commits are cheap. Cache
 * hits and duplicates, which can come by the thousands per second, wait for the interval and share
 * its commits.
 */
final class JobProcessor implements Processor<byte[], byte[], String, SpecificRecord> {

  static final String PENDING_STORE = "pending-jobs";
  static final String COMPLETED_STORE = "completed-jobs";

  /** jobId → when a cancel came for a job not seen yet: the job is cancelled when it arrives. */
  static final String CANCELLED_STORE = "cancelled-in-advance";

  /**
   * {@code provider|model|day} ({@link io.editstream.processor.throttle.PoolDay}) → the requests
   * this task's calls counted against that pool's RPD on that Pacific day: changelogged, so the
   * count survives a crash and moves with the partition.
   */
  static final String RPD_STORE = "rpd-used";

  /** The instance's quota history, as this task last wrote it down ({@link QuotaHistory}). */
  static final String HISTORY_STORE = "quota-history";

  /**
   * Spend by tenant and Pacific day ({@link TenantSpend}): changelogged, so a tenant's daily caps
   * survive a crash and move with the partition.
   */
  static final String SPEND_STORE = "tenant-spend";

  /** The child node that takes this processor's results, and only them. */
  static final String RESULTS = "job-results";

  /** The child node that takes this processor's failures, and only them. */
  static final String FAILURES = "job-failures";

  /** Marks a record of the cancel topic ({@link CancelMarker}); stripped from input jobs. */
  static final String CANCEL_HEADER = "editstream.internal.cancel";

  /** How often waiting jobs are checked against their deadlines. */
  static final Duration DEADLINE_SWEEP = Duration.ofSeconds(1);

  /**
   * The task's round: a granted call starts one tick after its dispatch is committed, and an answer
   * waits for the next tick (or record) to be written. 5 ms took 6-16 ms off the paced overhead's
   * p50 against 10 ms (docs/benchmarks.md), with kafka.poll.ms at 5 so an idle thread wakes for it.
   */
  static final Duration TICK = Duration.ofMillis(5);

  /** How often a job held by its tenant's daily cap is checked against the cap again. */
  static final Duration OVER_CAP_RECHECK = Duration.ofMinutes(1);

  /** Longest time process() waits for room: far below the 10 s EOS transaction timeout. */
  static final Duration MAX_BACKPRESSURE_WAIT = Duration.ofMillis(200);

  private static final Logger log = LoggerFactory.getLogger(JobProcessor.class);

  private final JobRuntime runtime;
  private final Deserializer<EditJob> jobs;
  private final Deserializer<EditResult> results;
  private final Deserializer<CancelRequest> cancels;
  private final String resultsTopic;
  private final ModelIds models;

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, byte[]> pending;
  private CompletedJobs completed;
  private KeyValueStore<String, Long> cancelledInAdvance;
  private DailyCounts dailyCounts;
  private QuotaHistory history;
  private TenantSpend spend;
  // Dispatches the last tick wrote to the stores: their calls start at the next tick.
  private final ArrayDeque<Starting> starting = new ArrayDeque<>();
  // jobId -> deadline (epoch ms) of pending jobs that have one; filled when a job is decoded.
  private final Map<String, Long> deadlines = new HashMap<>();
  private long lastDeadlineSweepMs;
  private String topic;
  // Accepted jobs as decoded once (bounded by bytes); the pending store's frame is the fallback.
  private DecodedJobs decoded;
  private TaskId taskId;

  private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition completionArrived = lock.newCondition();
  // Accepted jobs not yet queued in the gate (its queue was full, or restored at init).
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  private TaskGate gate;
  private final PriorityQueue<Retry> retries = new PriorityQueue<>();
  // Jobs of tenants held after safety strikes: queued again when the tenant is released.
  private final HeldJobs held = new HeldJobs();
  // Jobs whose call is recorded or running, each as the dispatcher got it (usually the decode
  // made at accept, from DecodedJobs): the outcome is built from that same object, so a job that
  // DecodedJobs evicted while its call ran is not decoded again. Held only while the call runs,
  // as the dispatcher holds it anyway.
  private final Map<String, EditJob> inFlight = new HashMap<>();
  // Every job in the pending store and its state, as GET /jobs and the oldest-age gauge see it:
  // changed by the stream thread, read on other threads (the store is the stream thread's).
  private TaskJobs live;
  private BatchLane batchLane;
  private Gauge oldestPendingAge;
  private Gauge oldestBatchAge;
  private long lastPurgeMs;
  private volatile boolean closed;

  private record Completion(String jobId, Dispatcher.Attempt attempt, Settlement settlement) {}

  /**
   * A dispatch recorded in the stores whose call has not started yet; {@code route} is the provider
   * whose pool admitted it (null = any).
   */
  private record Starting(String jobId, EditJob job, PendingJob entry, String route) {}

  private record Retry(long atMs, String jobId) implements Comparable<Retry> {
    @Override
    public int compareTo(Retry o) {
      return Long.compare(atMs, o.atMs);
    }
  }

  JobProcessor(
      JobRuntime runtime,
      Deserializer<EditJob> jobs,
      Deserializer<EditResult> results,
      Deserializer<CancelRequest> cancels,
      String resultsTopic,
      ModelIds models) {
    this.cancels = cancels;
    this.runtime = runtime;
    this.jobs = jobs;
    this.results = results;
    this.resultsTopic = resultsTopic;
    this.models = models;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.pending = context.getStateStore(PENDING_STORE);
    this.cancelledInAdvance = context.getStateStore(CANCELLED_STORE);
    this.taskId = context.taskId();
    this.topic = context.applicationId() + "-jobs";
    this.decoded =
        new DecodedJobs(frame -> jobs.deserialize(topic, frame), DecodedJobs.DEFAULT_MAX_BYTES);
    long now = now();
    this.lastPurgeMs = now;
    this.completed =
        new CompletedJobs(
            context.getStateStore(COMPLETED_STORE), runtime.completedRetention(), now);
    this.dailyCounts = new DailyCounts(context.getStateStore(RPD_STORE), now);
    if (!dailyCounts.started().isEmpty()) {
      log.info("Task {}: calls started today, by pool: {}", taskId, dailyCounts.started());
    }
    this.history = new QuotaHistory(context.getStateStore(HISTORY_STORE), now);
    if (!history.restored().isEmpty()) {
      log.info(
          "Task {}: quota history restored ({} entries: what earlier owners admitted)",
          taskId,
          history.restored().size());
    }
    this.gate =
        runtime.gate().register(taskId.toString(), dailyCounts.started(), history.restored());
    this.spend = new TenantSpend(context.getStateStore(SPEND_STORE), runtime.spendCaps(), now);
    this.live = new TaskJobs(runtime.jobs(), taskId.toString());
    this.batchLane =
        new BatchLane(
            runtime.batch(),
            now,
            runtime.dispatcher(),
            models,
            context,
            pending,
            live.view(),
            decoded::decode,
            new BatchLane.Owner() {
              @Override
              public void complete(String jobId, Dispatcher.Attempt attempt) {
                completed(jobId, attempt, Settlements.of(attempt)); // no gate permit to settle
              }

              @Override
              public void online(String jobId) {
                ready.add(jobId);
              }
            },
            runtime.metrics());
    // Jobs accepted before a crash or a rebalance: dispatch them again (model calls are
    // at-least-once; the outcome is still exactly-once).
    int restored = 0;
    try (KeyValueIterator<String, byte[]> it = pending.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        PendingJob job = PendingJob.decode(kv.value);
        live.restored(kv.key, job, now);
        restored++;
        if (batchLane.restore(kv.key, job)) {
          live.inBatch(kv.key, now);
          continue; // in a batch: the lane polls it, or finds or creates the batch
        }
        if (job.notBeforeMs() > now) {
          retries.add(new Retry(job.notBeforeMs(), kv.key));
        } else {
          ready.add(kv.key);
        }
      }
    }
    if (restored > 0) {
      log.info(
          "Task {}: {} accepted jobs found in the pending store, dispatching them again",
          taskId,
          restored);
      runtime.metrics().restored(restored);
    }
    // Read on scrape: a scan of at most about pending.max.per.task entries, cheaper than keeping an
    // order on every accept.
    oldestPendingAge =
        runtime
            .metrics()
            .pendingOldestAge(taskId.toString(), () -> live.oldestAgeSeconds(now(), false));
    oldestBatchAge =
        runtime
            .metrics()
            .batchOldestAge(taskId.toString(), () -> live.oldestAgeSeconds(now(), true));
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, ts -> tick());
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    drainCompletions();
    String jobId = new String(record.key(), StandardCharsets.UTF_8);
    if (record.headers().lastHeader(CANCEL_HEADER) != null) {
      cancel(jobId, record.value());
      return;
    }
    if (pending.get(jobId) != null || completed.contains(jobId)) {
      runtime.metrics().duplicate();
      log.debug("Task {}: duplicate record for job {} dropped", taskId, jobId);
      return;
    }
    long now = now();
    Long cancelledAt = cancelledInAdvance.get(jobId);
    if (cancelledAt != null) {
      cancelledInAdvance.delete(jobId);
    }
    if (record.headers().lastHeader(DecodeProcessor.HIT_HEADER) != null) {
      // Answered by the cache at decode (first, even before an earlier cancel: no call is saved
      // by cancelling it); only its jobId's uniqueness is left to ensure here.
      EditResult hit = results.deserialize(resultsTopic, record.value());
      forward(jobId, hit, now);
      finish(jobId, false, now);
      runtime.metrics().outcome("OK", true);
      return;
    }
    EditJob job = decoded.decode(record.value());
    if (cancelledAt != null) {
      emitFailure(
          jobId,
          job,
          Outcome.Failure.permanent(
              FailureCode.CANCELLED,
              null,
              null,
              "cancelled by a request at "
                  + Instant.ofEpochMilli(cancelledAt)
                  + " that came before the job; no model call was made"),
          0,
          now,
          now,
          now);
      return;
    }
    if (job.getDeadline() != null && !job.getDeadline().isAfter(Instant.ofEpochMilli(now))) {
      emitFailure(jobId, job, expired(job, "before the processor read it", null), 0, now, now, now);
      return;
    }
    Optional<Outcome.Failure> rejection = runtime.validator().validate(job);
    if (rejection.isPresent()) {
      emitFailure(jobId, job, rejection.get(), 0, now, now, now);
      return;
    }
    if (!job.getBypassCache()) {
      Optional<Dispatcher.Produced> hit = runtime.dispatcher().cached(job);
      if (hit.isPresent()) {
        emitResult(jobId, job, hit.get(), null, now);
        return;
      }
    }
    pending.put(jobId, PendingJob.accepted(record.value(), now).encode());
    decoded.keep(jobId, job, record.value());
    live.accepted(jobId, job, now);
    if (!ready.isEmpty() || !submit(jobId, job, null)) {
      ready.add(jobId); // keep arrival order behind jobs that are still waiting for the queue
    }
    submitReady();
    applyBackPressure();
  }

  /**
   * Queues a job in its pool; false if the gate's queue is full (try again later). A job that no
   * pool could ever admit fails at once.
   */
  private boolean submit(String jobId, EditJob job, PendingJob entry) {
    if (job.getDeadline() != null) {
      deadlines.put(jobId, job.getDeadline().toEpochMilli());
    }
    if (runtime.holds().isHeld(job.getTenant())) {
      hold(jobId, job, entry);
      return true;
    }
    if (batchLane.offer(jobId, job, entry, now())) {
      return true; // by batch: no quota-gate permit
    }
    Cost cost = JobCost.of(job);
    String model = modelOf(job);
    Throttle.Submission s =
        gate.submit(
            new TaskGate.Demand(
                jobId,
                model,
                job.getTenant() == null ? "" : job.getTenant(),
                job.getPriority() == null ? Priority.BULK : job.getPriority(),
                cost,
                job.getAttributes().get(ModelRequest.PROVIDER_ATTRIBUTE)));
    switch (s) {
      case ACCEPTED, DUPLICATE -> {
        live.waitingForQuota(jobId, job, now());
        return true;
      }
      case QUEUE_FULL -> {
        return false;
      }
      case TOO_LARGE -> {
        long now = now();
        int attempts = entry == null ? 0 : entry.modelCalls();
        long first = entry == null || entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs();
        emitFailure(
            jobId,
            job,
            Outcome.Failure.permanent(
                FailureCode.QUOTA_EXHAUSTED,
                null,
                null,
                "the job needs "
                    + cost
                    + ", more than the quota pool of model "
                    + model
                    + " can ever admit at once; raise its limits or split the job"),
            attempts,
            first,
            now,
            now);
        return true;
      }
      default -> throw new IllegalStateException("unknown submission " + s);
    }
  }

  /** Queues waiting jobs (restored, retried, or held back by a full queue) in arrival order. */
  private void submitReady() {
    while (!ready.isEmpty()) {
      String jobId = ready.peek();
      byte[] raw = inFlight.containsKey(jobId) ? null : pending.get(jobId);
      if (raw == null) {
        ready.poll();
        continue;
      }
      PendingJob entry = PendingJob.decode(raw);
      if (!submit(jobId, decoded.get(jobId, entry.frame()), entry)) {
        return;
      }
      ready.poll();
    }
  }

  /** When this task holds too many accepted jobs, wait briefly for completions (bounded). */
  private void applyBackPressure() {
    if (live.size() < runtime.pendingMaxPerTask()) {
      return;
    }
    long deadline = System.nanoTime() + MAX_BACKPRESSURE_WAIT.toNanos();
    while (live.size() >= runtime.pendingMaxPerTask() && System.nanoTime() < deadline) {
      lock.lock();
      try {
        if (completions.isEmpty()) {
          completionArrived.await(5, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      drainCompletions();
      releaseDueRetries();
      submitReady();
    }
  }

  /**
   * The task's round (every {@link #TICK}). Kafka Streams commits after each punctuation that asked
   * for it, so the dispatches one tick records are durable by the next, which starts their calls.
   */
  private void tick() {
    startRecordedCalls();
    drainCompletions();
    ready.addAll(held.released(runtime.holds()));
    batchLane.tick(now());
    releaseDueRetries();
    submitReady();
    dispatchGranted();
    long now = now();
    purgeCompleted(now);
    if (now - lastPurgeMs > Duration.ofMinutes(1).toMillis()) {
      dailyCounts.purge(now);
      history.purge(now);
      spend.purge(now);
      lastPurgeMs = now;
    }
    if (history.due(now)) {
      history.write(gate.history(), now);
    }
    if (!deadlines.isEmpty() && now - lastDeadlineSweepMs >= DEADLINE_SWEEP.toMillis()) {
      expireOverdue(now);
      lastDeadlineSweepMs = now;
    }
  }

  /** Ends the waiting jobs (not in flight) whose deadline has passed. */
  private void expireOverdue(long now) {
    List<String> overdue = new ArrayList<>();
    deadlines.forEach(
        (jobId, deadline) -> {
          if (deadline <= now && !inFlight.containsKey(jobId)) {
            overdue.add(jobId);
          }
        });
    for (String jobId : overdue) {
      byte[] raw = pending.get(jobId);
      if (raw == null) {
        deadlines.remove(jobId);
        continue;
      }
      PendingJob entry = PendingJob.decode(raw);
      EditJob job = decoded.get(jobId, entry.frame());
      long first = entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs();
      LiveJob seen = live.get(jobId);
      String state =
          seen == null ? "waiting" : seen.state().name().toLowerCase(java.util.Locale.ROOT);
      emitFailure(
          jobId,
          job,
          expired(job, "while " + state.replace('_', ' '), seen == null ? null : seen.lastError()),
          entry.modelCalls(),
          first,
          now,
          now);
    }
  }

  /**
   * A granted job whose tenant is over a daily cap: held in the pending store (no call, its permit
   * given back) and checked again every {@link #OVER_CAP_RECHECK} until it fits (at the latest
   * after midnight Pacific), or failed as BUDGET_EXCEEDED ({@code tenant.cap.action}).
   */
  private void overCap(
      String jobId, EditJob job, PendingJob entry, String tenant, String reason, long now) {
    runtime.metrics().overCap(tenant);
    if (runtime.spendCaps().failOverCap()) {
      emitFailure(
          jobId,
          job,
          Outcome.Failure.permanent(FailureCode.BUDGET_EXCEEDED, null, null, reason),
          entry.modelCalls(),
          entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs(),
          now,
          now);
      return;
    }
    // Checked again every minute, not only at midnight: this instance's share of the cap grows
    // when partitions move to it (e.g. right after start-up), and the estimate may have been high.
    long until = Math.min(nextPacificMidnightMs(now), now + OVER_CAP_RECHECK.toMillis());
    pending.put(jobId, entry.heldUntil(until).encode());
    retries.add(new Retry(until, jobId));
    live.heldOverCap(jobId, reason, until, now);
    log.debug(
        "Task {}: job {} held until {}: {}", taskId, jobId, Instant.ofEpochMilli(until), reason);
  }

  static long nextPacificMidnightMs(long nowMs) {
    return TenantSpend.pacificDay(nowMs)
        .plusDays(1)
        .atStartOfDay(DailyQuota.PACIFIC)
        .toInstant()
        .toEpochMilli();
  }

  /** What a settled attempt cost, in micro-dollars: its estimated cost, 0 for a failure. */
  private static long costMicros(Dispatcher.Attempt attempt) {
    if (attempt instanceof Dispatcher.Produced p && p.estimatedCostUsd() != null) {
      return Math.round(p.estimatedCostUsd() * 1e6);
    }
    return 0;
  }

  private static ImageSize outputOf(EditJob job) {
    return job.getOutput() == null ? null : job.getOutput().getSize();
  }

  /**
   * A job of a held tenant, not in flight: parked without a call until the tenant's release, or
   * failed as TENANT_SUSPENDED (safety.strikes.action).
   */
  private void hold(String jobId, EditJob job, PendingJob entry) {
    long now = now();
    if (runtime.holds().policy().action() == SafetyStrikes.Action.FAIL) {
      String why =
          runtime
              .holds()
              .hold(job.getTenant())
              .map(TenantHolds.Hold::describe)
              .orElse("the tenant is held");
      emitFailure(
          jobId,
          job,
          Outcome.Failure.permanent(
              FailureCode.TENANT_SUSPENDED,
              null,
              null,
              why
                  + "; no model call was made (safety.strikes.action=fail). After editstream"
                  + " tenant release, replay it with editstream replay --code TENANT_SUSPENDED"
                  + " --include-permanent"),
          entry == null ? 0 : entry.modelCalls(),
          entry == null || entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs(),
          now,
          now);
      return;
    }
    held.park(job.getTenant() == null ? "" : job.getTenant(), jobId);
    live.heldForSafety(jobId, job, now);
  }

  private static Outcome.Failure expired(EditJob job, String when, String lastError) {
    return Outcome.Failure.permanent(
        FailureCode.EXPIRED,
        null,
        null,
        "the job's deadline "
            + job.getDeadline()
            + " passed "
            + when
            + "; no model call was started after it"
            + (lastError == null ? "" : " (last error: " + lastError + ")"));
  }

  /**
   * A cancel request: a pending job ends as CANCELLED now (a running call's answer is dropped when
   * it comes); a finished job is left as it is; a job not seen yet is cancelled when it arrives.
   */
  private void cancel(String jobId, byte[] value) {
    CancelRequest request;
    try {
      request = cancels.deserialize(topic, value);
    } catch (RuntimeException e) {
      log.warn(
          "Task {}: cancel request for job {} ignored: it does not decode as a CancelRequest ({})",
          taskId,
          jobId,
          e.getMessage());
      return;
    }
    long now = now();
    if (completed.contains(jobId)) {
      log.info("Task {}: cancel for job {} ignored: the job has finished already", taskId, jobId);
      return;
    }
    String who =
        (request.getRequestedBy() == null ? "" : " by " + request.getRequestedBy())
            + " at "
            + request.getRequestedAt()
            + (request.getReason() == null ? "" : ": " + request.getReason());
    byte[] raw = pending.get(jobId);
    if (raw == null) {
      cancelledInAdvance.put(jobId, request.getRequestedAt().toEpochMilli());
      log.info("Task {}: job {} cancelled{} before it arrived", taskId, jobId, who);
      return;
    }
    PendingJob entry = PendingJob.decode(raw);
    boolean running = inFlight.containsKey(jobId);
    long first = entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs();
    emitFailure(
        jobId,
        decoded.get(jobId, entry.frame()),
        Outcome.Failure.permanent(
            FailureCode.CANCELLED,
            null,
            null,
            "cancelled"
                + who
                + (running
                    ? "; its running model call was not waited for, and its answer is dropped"
                    : "")),
        entry.modelCalls(),
        first,
        now,
        now);
  }

  private void releaseDueRetries() {
    long now = now();
    while (!retries.isEmpty() && retries.peek().atMs() <= now) {
      ready.add(retries.poll().jobId());
    }
  }

  /**
   * Records the dispatch of each job the gate granted this task (each has a slot and a permit): the
   * pending entry and the RPD count change in one transaction, whose commit is requested now; the
   * calls start at the next tick, after that commit ({@link #tick}), so a call that may have been
   * billed is never lost from the count by a crash. Only ticks call this.
   */
  private void dispatchGranted() {
    boolean recorded = false;
    for (TaskGate.Grant grant : gate.take()) {
      String jobId = grant.jobId();
      byte[] raw = inFlight.containsKey(jobId) ? null : pending.get(jobId);
      if (raw == null) {
        gate.settle(jobId, Settlement.refund());
        continue;
      }
      PendingJob before = PendingJob.decode(raw);
      EditJob job = decoded.get(jobId, before.frame());
      long now = now();
      if (job.getDeadline() != null && job.getDeadline().toEpochMilli() <= now) {
        gate.settle(jobId, Settlement.refund());
        LiveJob waiting = live.get(jobId);
        emitFailure(
            jobId,
            job,
            expired(job, "while it waited for quota", waiting == null ? null : waiting.lastError()),
            before.modelCalls(),
            before.firstErrorAtMs() == 0 ? now : before.firstErrorAtMs(),
            now,
            now);
        continue;
      }
      if (runtime.holds().isHeld(job.getTenant())) {
        // Held while it waited: its slot and permit go back unused.
        gate.settle(jobId, Settlement.refund());
        hold(jobId, job, before);
        continue;
      }
      // As submitted: computing it again would probe every inline image's header again.
      Cost cost = grant.cost();
      SpendCaps caps = runtime.spendCaps();
      String tenant = job.getTenant() == null ? "" : job.getTenant();
      LocalDate day = TenantSpend.pacificDay(now);
      SpendCaps.Use estimate =
          caps.enabled() ? caps.estimate(cost, JobCost.outputImageTokens(outputOf(job))) : null;
      Optional<String> refusal =
          estimate == null ? Optional.empty() : caps.refusal(tenant, day, estimate);
      if (refusal.isPresent()) {
        gate.settle(jobId, Settlement.refund());
        overCap(jobId, job, before, tenant, refusal.get(), now);
        continue;
      }
      PendingJob entry = before.dispatched(now);
      pending.put(jobId, entry.encode());
      dailyCounts.count(jobId, grant.dailyKey(), cost.requests());
      if (estimate != null) {
        spend.count(jobId, tenant, day, estimate);
      }
      inFlight.put(jobId, job);
      starting.add(new Starting(jobId, job, entry, grant.route()));
      recorded = true;
    }
    if (recorded) {
      // With the dispatches: a call starts only after the history that counts it is committed.
      history.write(gate.history(), now());
      context.commit();
    }
  }

  /** Starts the calls the previous tick recorded (committed since: see {@link #tick}). */
  private void startRecordedCalls() {
    Starting s;
    while ((s = starting.poll()) != null) {
      if (pending.get(s.jobId()) == null) {
        // The job ended (cancelled) before its call could start.
        inFlight.remove(s.jobId());
        dailyCounts.refund(s.jobId());
        spend.refund(s.jobId());
        gate.settle(s.jobId(), Settlement.refund());
        continue;
      }
      startCall(s.jobId(), s.job(), s.entry(), s.route());
    }
  }

  private void startCall(String jobId, EditJob job, PendingJob entry, String route) {
    live.inFlight(jobId, entry.modelCalls(), route, now());
    CompletableFuture<Dispatcher.Attempt> attempt;
    try {
      attempt =
          runtime.dispatcher().attempt(job, entry.attempts(), route, () -> gate.started(jobId));
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete(
        (result, error) -> {
          // A dispatcher that broke its contract: no model call is known to have been made.
          Dispatcher.Attempt a =
              error != null
                  ? Dispatcher.Failed.beforeTheCall(
                      Outcome.Failure.retryable(
                          FailureCode.INTERNAL, null, "dispatch failed: " + error, null))
                  : result;
          // Slot and permit are settled before the stream thread can resubmit a retry.
          Settlement settlement = Settlements.of(a);
          gate.settle(jobId, settlement);
          completed(jobId, a, settlement);
        });
  }

  /** An attempt is over (any thread): the stream thread takes it from the queue. */
  private void completed(String jobId, Dispatcher.Attempt a, Settlement settlement) {
    if (!closed) {
      completions.add(new Completion(jobId, a, settlement));
      lock.lock();
      try {
        completionArrived.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void drainCompletions() {
    Completion c;
    while ((c = completions.poll()) != null) {
      EditJob dispatched = inFlight.remove(c.jobId());
      if (c.settlement() instanceof Settlement.Refund) {
        dailyCounts.refund(c.jobId());
        spend.refund(c.jobId());
      } else {
        dailyCounts.settled(c.jobId());
        spend.settled(c.jobId(), costMicros(c.attempt()));
      }
      byte[] raw = pending.get(c.jobId());
      if (raw == null) {
        continue;
      }
      PendingJob entry = PendingJob.decode(raw).settled(c.attempt().modelCalls());
      EditJob job = dispatched != null ? dispatched : decoded.get(c.jobId(), entry.frame());
      long now = now();
      if (c.attempt() instanceof Dispatcher.Produced produced) {
        emitResult(c.jobId(), job, produced, entry, now);
      } else if (c.attempt() instanceof Dispatcher.Failed failed) {
        Outcome.Failure f = failed.failure();
        Duration delay =
            f.retryable() ? runtime.backoff().delay(entry.attempts(), f.retryAfter()) : null;
        boolean pastDeadline =
            delay != null
                && job.getDeadline() != null
                && now + delay.toMillis() >= job.getDeadline().toEpochMilli();
        if (pastDeadline && entry.attempts() < runtime.maxAttempts()) {
          long first = entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs();
          emitFailure(
              c.jobId(),
              job,
              expired(
                  job,
                  "before its next attempt could start",
                  f.code() + (f.message() == null ? "" : ": " + f.message())),
              entry.modelCalls(),
              first,
              now,
              now);
        } else if (f.retryable() && entry.attempts() < runtime.maxAttempts()) {
          pending.put(c.jobId(), entry.failedAttempt(now, now + delay.toMillis()).encode());
          retries.add(new Retry(now + delay.toMillis(), c.jobId()));
          String error = f.code() + (f.message() == null ? "" : ": " + f.message());
          long retryAt = now + delay.toMillis();
          live.backingOff(c.jobId(), entry.modelCalls(), f.provider(), error, retryAt, now);
          runtime.metrics().retry();
          log.debug(
              "Task {}: job {} attempt {} failed ({}), retry in {} ms",
              taskId,
              c.jobId(),
              entry.attempts(),
              f.code(),
              delay.toMillis());
        } else {
          long first = entry.firstErrorAtMs() == 0 ? now : entry.firstErrorAtMs();
          emitFailure(c.jobId(), job, f, entry.modelCalls(), first, now, now);
        }
      }
    }
  }

  private void emitResult(
      String jobId, EditJob job, Dispatcher.Produced p, PendingJob entry, long now) {
    long accepted = entry == null ? now : entry.acceptedAtMs();
    long firstDispatch =
        entry == null || entry.firstDispatchAtMs() == 0 ? now : entry.firstDispatchAtMs();
    Duration modelTime = p.modelTime() == null ? Duration.ZERO : p.modelTime();
    EditResult result =
        Results.of(
            jobId,
            job,
            p,
            models,
            accepted,
            firstDispatch,
            entry == null ? 0 : entry.modelCalls(),
            now);
    if (!p.cacheHit()) {
      result.setLane(laneOf(jobId)); // a cache hit is online (Results.of)
    }
    forward(jobId, result, now);
    finish(jobId, entry != null, now);
    if (entry != null) {
      context.commit(); // see commitSoon()
    }
    runtime.metrics().outcome("OK", p.cacheHit());
    runtime
        .metrics()
        .tokens(p.usage().getPromptTokens(), p.usage().getOutputTokens(), p.estimatedCostUsd());
    if (entry != null) {
      runtime
          .metrics()
          .timings(
              Duration.ofMillis(Math.max(0, firstDispatch - accepted)),
              modelTime,
              Duration.ofMillis(now - accepted).minus(modelTime));
    }
  }

  /** A result goes to the {@link #RESULTS} child only (route by name, not by type downstream). */
  private void forward(String jobId, EditResult result, long timestamp) {
    context.forward(new Record<String, SpecificRecord>(jobId, result, timestamp), RESULTS);
  }

  /** A failure goes to the {@link #FAILURES} child only. */
  private void forward(String jobId, EditFailure failure, long timestamp) {
    context.forward(new Record<String, SpecificRecord>(jobId, failure, timestamp), FAILURES);
  }

  /**
   * The lane of a job's last attempt, for its outcome: {@code batch} while its pending entry (not
   * yet settled) records a batch, else {@code online} (a job that never reached the pending store,
   * or whose batch failed and which went online).
   */
  private String laneOf(String jobId) {
    byte[] raw = pending.get(jobId);
    return raw != null && PendingJob.decode(raw).batch() != null ? Lanes.BATCH : Lanes.ONLINE;
  }

  private void emitFailure(
      String jobId,
      EditJob job,
      Outcome.Failure f,
      int attempts,
      long firstErrorMs,
      long lastErrorMs,
      long now) {
    EditFailure failure =
        EditFailure.newBuilder()
            .setJobId(jobId)
            .setTenant(job.getTenant() == null ? "" : job.getTenant())
            .setSku(job.getSku())
            .setCode(f.code())
            .setRetryable(f.retryable())
            .setAttempts(attempts)
            .setFirstErrorAt(Instant.ofEpochMilli(firstErrorMs))
            .setLastErrorAt(Instant.ofEpochMilli(lastErrorMs))
            .setHttpStatus(f.httpStatus())
            .setFinishReason(f.finishReason())
            .setMessage(f.message() == null ? f.code().name() : f.message())
            .setJob(FailureJobs.carried(job))
            .setAttributes(FailureJobs.attributes(job))
            .setLane(laneOf(jobId))
            .build();
    forward(jobId, failure, now);
    boolean wasPending = pending.get(jobId) != null;
    finish(jobId, wasPending, now);
    if (wasPending) {
      context.commit();
    }
    runtime.metrics().outcome(f.code().name(), false);
    if (f.code() == FailureCode.PROMPT_BLOCKED || f.code() == FailureCode.IMAGE_SAFETY) {
      runtime.metrics().safetyBlocked(job.getTenant(), f.code().name());
    }
    log.info(
        "Task {}: job {} failed: {} after {} attempt(s): {}",
        taskId,
        jobId,
        f.code(),
        attempts,
        f.message());
  }

  private void finish(String jobId, boolean wasPending, long now) {
    // Completed first: a lookup on another thread finds the job in one of the two at every moment.
    completed.finished(jobId, now);
    deadlines.remove(jobId);
    decoded.forget(jobId);
    if (wasPending) {
      pending.delete(jobId);
      live.finished(jobId);
    }
  }

  private void purgeCompleted(long now) {
    int forgotten = completed.sweep(now);
    if (forgotten > 0) {
      log.debug(
          "Task {}: forgot {} completed jobIds older than {}",
          taskId,
          forgotten,
          runtime.completedRetention());
    }
  }

  private String modelOf(EditJob job) {
    return models.forJob(job);
  }

  private long now() {
    return runtime.clock().millis();
  }

  @Override
  public void close() {
    closed = true;
    if (batchLane != null) {
      batchLane.close();
    }
    if (oldestPendingAge != null) {
      runtime.metrics().removeOldestAge(oldestPendingAge);
    }
    if (oldestBatchAge != null) {
      runtime.metrics().removeOldestAge(oldestBatchAge);
    }
    if (gate != null) {
      // Recorded dispatches not started: their slots and permits go back, and their counts
      // (which a commit may or may not have made durable) leave with the rest of this task's.
      for (Starting s : starting) {
        inFlight.remove(s.jobId());
        dailyCounts.forget(s.jobId());
        spend.forget(s.jobId());
        gate.settle(s.jobId(), Settlement.refund());
      }
      starting.clear();
      gate.close(dailyCounts.started());
    }
    if (spend != null) {
      spend.close();
    }
    if (live != null) {
      live.close(runtime.jobs());
    }
    if (!inFlight.isEmpty()) {
      log.info(
          "Task {} closing with {} model calls in flight: their jobs stay in the pending store"
              + " and are dispatched again by the task's next owner",
          taskId,
          inFlight.size());
    }
  }
}
