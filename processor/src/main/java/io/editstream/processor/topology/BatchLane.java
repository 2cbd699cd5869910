package io.editstream.processor.topology;

import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import io.editstream.processor.batch.BatchClient;
import io.editstream.processor.model.ModelIds;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.BatchQuota;
import io.editstream.processor.throttle.JobCost;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.schema.Lanes;
import io.editstream.schema.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch lane of one task (issue 18.1-18.2): BULK jobs grouped per model into Gemini batches,
 * submitted, polled, and their answers handed back to the task as {@link Dispatcher.Attempt}s, the
 * way online calls come back. Touched by the stream thread only; submissions and polls run on
 * {@link BatchSettings#executor()} and come back through a queue drained at {@link #tick}.
 *
 * <p>Durable protocol, so that a crash neither loses a job nor creates a batch twice: a batch's
 * deterministic display name is written into the pending entries of its jobs and committed before
 * the batch is created (at the next tick); the batch's name is written once the service has
 * answered. A restarted task resumes polling a batch whose name it has, and looks a batch up by its
 * display name ({@code batches.list}) before creating one it has only the display name of.
 *
 * <p>A request failing inside a batch ends as any failed attempt does: its job fails, or is retried
 * after its backoff, in a new batch. A batch that fails, expires, is cancelled or is refused sends
 * its jobs online for good ({@link PendingJob#onlineOnly()}), or fails them ({@link
 * BatchSettings#failOnBatchFailure()}). The lane never takes quota-gate permits.
 *
 * <p>Deadline (issue 18.3): a batch not ended {@link BatchSettings#deadline()} after it was
 * recorded ({@link PendingJob.BatchRef#sinceMs}, durable) is cancelled ({@code batches.cancel}) and
 * its jobs go online or fail ({@code EXPIRED}, {@link BatchSettings#failOnDeadline()}); any answer
 * it still gives is ignored (the jobs' entries no longer name it).
 *
 * <p>Quota (issue 18.4): a group of jobs becomes a batch only once it fits in the instance's {@link
 * BatchQuota} (enqueued requests and tokens); until then its jobs wait in the lane. The room comes
 * back when the batch ends, however it ends. A 429 from the batch service pauses the pool and the
 * batch is created later: it is not a refused batch.
 */
final class BatchLane {

  /** What a batch answer costs, as a share of the online price (Google bills batches at 50 %). */
  static final double PRICE_FACTOR = 0.5;

  /** The provider whose Batch API the lane uses. */
  static final String PROVIDER = "ai-studio";

  private static final Logger log = LoggerFactory.getLogger(BatchLane.class);

  /** What the lane needs of its task. */
  interface Owner {
    /** An attempt is over; called on any thread (the task's completions queue). */
    void complete(String jobId, Dispatcher.Attempt attempt);

    /** The job leaves the lane for the online path (stream thread). */
    void online(String jobId);
  }

  private enum Phase {
    /** Its display name is in the pending entries; not created yet (or not known to be). */
    RECORDED,
    CREATING,
    POLLING,
    POLL_RUNNING,
    /** Past its deadline: being cancelled; its jobs leave when the cancel has been sent. */
    CANCELLING
  }

  private static final class Run {
    final String displayName;
    final TreeSet<String> jobIds = new TreeSet<>();

    /** Whether the batch may exist without the lane knowing its name (look it up first). */
    boolean recovered;

    String model;
    String name;
    Phase phase = Phase.RECORDED;
    long dueAtMs;

    /** When the batch was recorded: its deadline runs from here. */
    long sinceMs;

    /** What it holds in the batch quota pool, given back once when it ends. */
    long requests;

    long tokens;
    boolean over;

    Run(String displayName, String model, boolean recovered) {
      this.displayName = displayName;
      this.model = model;
      this.recovered = recovered;
    }
  }

  private final BatchSettings settings;
  private final Dispatcher dispatcher;
  private final ModelIds models;
  private final ProcessorContext<?, ?> context;
  private final KeyValueStore<String, byte[]> pending;
  private final Map<String, LiveJob> live;
  private final Function<byte[], EditJob> decode;
  private final Owner owner;
  private final TopologyMetrics metrics;
  private final String namePrefix;

  // model -> jobs waiting for their batch, in arrival order, and when the oldest came.
  private final Map<String, List<String>> collecting = new LinkedHashMap<>();
  private final Map<String, Long> openedAtMs = new LinkedHashMap<>();
  private final Map<String, Run> runs = new LinkedHashMap<>();
  // Every job the lane holds (collecting or in a batch).
  private final Set<String> members = new HashSet<>();
  // Estimated input tokens of each job collecting, for the batch quota.
  private final Map<String, Long> tokensOf = new HashMap<>();
  private final Queue<Runnable> events = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  BatchLane(
      BatchSettings settings,
      long nowMs,
      Dispatcher dispatcher,
      ModelIds models,
      ProcessorContext<?, ?> context,
      KeyValueStore<String, byte[]> pending,
      Map<String, LiveJob> live,
      Function<byte[], EditJob> decode,
      Owner owner,
      TopologyMetrics metrics) {
    this.settings = settings;
    this.dispatcher = dispatcher;
    this.models = models;
    this.context = context;
    this.pending = pending;
    this.live = live;
    this.decode = decode;
    this.owner = owner;
    this.metrics = metrics;
    this.namePrefix = context.applicationId() + "-" + context.taskId();
    this.lastNowMs = nowMs;
  }

  /**
   * Takes a job into the lane if it goes by batch: BULK, one step, not tied to another provider,
   * and not sent online by a failed batch. False: the caller dispatches it online.
   */
  boolean offer(String jobId, EditJob job, PendingJob entry, long nowMs) {
    if (!settings.enabled() || (entry != null && entry.onlineOnly())) {
      return false;
    }
    String provider = job.getAttributes().get(ModelRequest.PROVIDER_ATTRIBUTE);
    if (!wantsBatch(job)
        || !job.getSteps().isEmpty()
        || (provider != null && !provider.isBlank() && !provider.equals(PROVIDER))) {
      return false;
    }
    if (members.add(jobId)) {
      tokensOf.put(jobId, JobCost.of(job).estimatedInputTokens());
      String model = models.forJob(job);
      collecting.computeIfAbsent(model, m -> new ArrayList<>()).add(jobId);
      openedAtMs.putIfAbsent(model, nowMs);
    }
    return true;
  }

  /**
   * Whether a job goes by batch, by the lane it asks for ({@link Lanes#ATTRIBUTE}) or, when it asks
   * none, by its priority ({@code batch.lane=bulk}: BULK ones; {@code per-job}: none).
   */
  private boolean wantsBatch(EditJob job) {
    Optional<String> asked = Lanes.requested(job);
    if (asked.isPresent()) {
      return asked.get().equals(Lanes.BATCH);
    }
    Priority priority = job.getPriority() == null ? Priority.BULK : job.getPriority();
    return settings.bulkByDefault() && priority == Priority.BULK;
  }

  /**
   * A job restored from the pending store: true if it is in a batch, which the lane then resumes
   * (polls it, or finds or creates it).
   */
  boolean restore(String jobId, PendingJob entry) {
    PendingJob.BatchRef ref = entry.batch();
    if (ref == null || !settings.enabled()) {
      return false;
    }
    Run run = runs.computeIfAbsent(ref.displayName(), d -> new Run(d, null, true));
    // Written before version 3 (no start): the deadline runs from now.
    long since = ref.sinceMs() > 0 ? ref.sinceMs() : lastNowMs;
    run.sinceMs = run.jobIds.isEmpty() ? since : Math.min(run.sinceMs, since);
    run.jobIds.add(jobId);
    members.add(jobId);
    // Enqueued (or about to be) already: its room is taken without asking.
    long tokens = JobCost.of(decode.apply(entry.frame())).estimatedInputTokens();
    run.requests++;
    run.tokens += tokens;
    settings.quota().hold(1, tokens);
    if (ref.name() != null) {
      run.name = ref.name();
      run.phase = Phase.POLLING;
    }
    return true;
  }

  /** The lane's round, on the stream thread at every punctuation. */
  void tick(long nowMs) {
    lastNowMs = nowMs;
    Runnable event;
    while ((event = events.poll()) != null) {
      event.run();
    }
    // Batches recorded at an earlier tick are committed by now: create them.
    long deadlineMs = settings.deadline().toMillis();
    boolean paused = nowMs < settings.quota().pausedUntilMs();
    for (Run run : List.copyOf(runs.values())) {
      if (run.over) {
        continue;
      }
      boolean settled = run.phase == Phase.RECORDED || run.phase == Phase.POLLING;
      if (settled && nowMs - run.sinceMs >= deadlineMs) {
        deadline(run);
      } else if (run.phase == Phase.RECORDED && run.dueAtMs <= nowMs && !paused) {
        create(run);
      } else if (run.phase == Phase.POLLING && run.dueAtMs <= nowMs) {
        poll(run);
      }
    }
    boolean recorded = false;
    for (String model : List.copyOf(collecting.keySet())) {
      List<String> jobs = collecting.get(model);
      boolean waitedEnough = nowMs - openedAtMs.get(model) >= settings.maxWait().toMillis();
      while (jobs.size() >= settings.maxRequests() || (waitedEnough && !jobs.isEmpty())) {
        List<String> group =
            new ArrayList<>(jobs.subList(0, Math.min(jobs.size(), settings.maxRequests())));
        long tokens = 0;
        for (String jobId : group) {
          tokens += tokensOf.getOrDefault(jobId, 0L);
        }
        if (!settings.quota().tryAcquire(nowMs, group.size(), tokens)) {
          break; // the batch quota is full: the jobs wait here, asked again at the next tick
        }
        jobs.subList(0, group.size()).clear();
        group.forEach(tokensOf::remove);
        recorded |= record(model, group, tokens, nowMs);
      }
      if (jobs.isEmpty()) {
        collecting.remove(model);
        openedAtMs.remove(model);
      }
    }
    if (recorded) {
      context.commit();
    }
  }

  /**
   * Writes the batch's display name into its jobs' pending entries; created at a later tick. The
   * group's room in the batch quota ({@code tokens}) is taken already.
   */
  private boolean record(String model, List<String> group, long tokens, long nowMs) {
    Map<String, PendingJob> entries = new LinkedHashMap<>();
    for (String jobId : new TreeSet<>(group)) {
      byte[] raw = pending.get(jobId);
      if (raw == null) {
        members.remove(jobId); // ended (cancelled, expired) while it waited
        continue;
      }
      entries.put(jobId, PendingJob.decode(raw));
    }
    if (entries.isEmpty()) {
      settings.quota().release(group.size(), tokens);
      return false;
    }
    // Deterministic and unique per set of jobs and attempt: a retry makes a new name.
    Hasher h = Hashing.sha256().newHasher();
    entries.forEach(
        (jobId, e) ->
            h.putString(jobId, StandardCharsets.UTF_8).putInt(e.attempts()).putByte((byte) 0));
    String displayName = namePrefix + "-" + h.hash().toString().substring(0, 16);
    Run run = new Run(displayName, model, false);
    run.dueAtMs = nowMs; // the next tick, after the commit
    run.sinceMs = nowMs;
    run.requests = group.size();
    run.tokens = tokens;
    entries.forEach(
        (jobId, e) -> {
          PendingJob d = e.dispatchedToBatch(nowMs, displayName);
          pending.put(jobId, d.encode());
          live.computeIfPresent(jobId, (id, j) -> j.inBatch(d.modelCalls(), PROVIDER, nowMs));
          run.jobIds.add(jobId);
        });
    runs.put(displayName, run);
    return true;
  }

  private record Job(String jobId, EditJob job) {}

  /** Finds (after a restart) or creates the batch, off the stream thread. */
  private void create(Run run) {
    List<Job> jobs = new ArrayList<>();
    for (String jobId : run.jobIds) {
      PendingJob entry = entryIn(run, jobId);
      if (entry != null) {
        jobs.add(new Job(jobId, decode.apply(entry.frame())));
      }
    }
    if (jobs.isEmpty()) {
      finish(run);
      return;
    }
    if (run.model == null) {
      run.model = models.forJob(jobs.get(0).job());
    }
    run.phase = Phase.CREATING;
    settings
        .executor()
        .execute(
            () -> {
              try {
                if (run.recovered) {
                  var found = settings.service().find(run.displayName);
                  if (found.isPresent()) {
                    post(() -> created(run, found.get(), true));
                    return;
                  }
                }
                List<CompletableFuture<Dispatcher.Prepared>> prepared = new ArrayList<>();
                for (Job j : jobs) {
                  prepared.add(dispatcher.prepare(j.job()));
                }
                List<BatchClient.KeyedRequest> requests = new ArrayList<>();
                for (int i = 0; i < jobs.size(); i++) {
                  Dispatcher.Prepared p = prepared.get(i).join();
                  String jobId = jobs.get(i).jobId();
                  if (p.failed() != null) {
                    // Its image was rejected: that job's attempt is over, the rest go on.
                    post(() -> leave(run, jobId));
                    owner.complete(jobId, p.failed());
                  } else {
                    requests.add(new BatchClient.KeyedRequest(jobId, p.request()));
                  }
                }
                if (requests.isEmpty()) {
                  post(() -> finish(run));
                  return;
                }
                BatchClient.Submission s =
                    settings.service().submit(run.model, run.displayName, requests);
                post(
                    () -> {
                      if (s instanceof BatchClient.Submission.Accepted a) {
                        created(run, a.batchName(), false);
                      } else {
                        Outcome.Failure f = ((BatchClient.Submission.Refused) s).failure();
                        if (isQuota(f)) {
                          waitForQuota(run, f);
                        } else {
                          ended(run, f, "refused");
                        }
                      }
                    });
              } catch (RuntimeException e) {
                // Nothing is known to have been created: look it up before trying again.
                log.warn(
                    "Batch {} could not be found or created ({}); trying again in {}",
                    run.displayName,
                    e.toString(),
                    settings.pollInterval());
                post(() -> retryCreate(run));
              }
            });
  }

  private void retryCreate(Run run) {
    if (run.over) {
      return;
    }
    run.recovered = true;
    run.phase = Phase.RECORDED;
    run.dueAtMs = now() + settings.pollInterval().toMillis();
  }

  /** A 429 from the batch service: nothing was created; no batch is created before it passes. */
  static boolean isQuota(Outcome.Failure f) {
    return f.httpStatus() != null && f.httpStatus() == 429;
  }

  private void waitForQuota(Run run, Outcome.Failure f) {
    if (run.over) {
      return;
    }
    long waitMs = settings.pollInterval().toMillis();
    if (f.retryAfter() != null) {
      waitMs = Math.max(waitMs, f.retryAfter().toMillis());
    }
    run.phase = Phase.RECORDED;
    run.dueAtMs = now() + waitMs;
    settings.quota().pause(run.dueAtMs);
    log.info(
        "Task {}: batch {} not created, the batch quota is full ({}); trying again in {} ms",
        context.taskId(),
        run.displayName,
        f.message(),
        waitMs);
  }

  private void created(Run run, String name, boolean found) {
    if (run.over) {
      return;
    }
    run.name = name;
    run.phase = Phase.POLLING;
    run.dueAtMs = now() + settings.pollInterval().toMillis();
    for (String jobId : run.jobIds) {
      PendingJob entry = entryIn(run, jobId);
      if (entry != null) {
        pending.put(jobId, entry.inBatch(name).encode());
      }
    }
    context.commit();
    log.info(
        "Task {}: batch {} ({}) {} with {} jobs for model {}",
        context.taskId(),
        name,
        run.displayName,
        found ? "found again after a restart" : "created",
        run.jobIds.size(),
        run.model);
  }

  private void poll(Run run) {
    run.phase = Phase.POLL_RUNNING;
    List<String> keys = List.copyOf(run.jobIds);
    String name = run.name;
    settings
        .executor()
        .execute(
            () -> {
              BatchClient.Poll p;
              try {
                p = settings.service().poll(name, keys);
              } catch (RuntimeException e) {
                p =
                    new BatchClient.Poll(
                        null,
                        Map.of(),
                        Outcome.Failure.retryable(FailureCode.INTERNAL, null, e.toString(), null));
              }
              BatchClient.Poll result = p;
              post(() -> polled(run, result));
            });
  }

  private void polled(Run run, BatchClient.Poll p) {
    if (run.over) {
      return;
    }
    if (p.state() == null && p.failure() != null && !p.failure().retryable()) {
      // Gone (404) or refused for good: asking again would never end.
      ended(run, p.failure(), "cannot be read");
      return;
    }
    if (p.state() == null || !p.state().terminal()) {
      if (p.state() == null) {
        log.warn(
            "Task {}: batch {} could not be read ({}); asking again in {}",
            context.taskId(),
            run.name,
            p.failure() == null ? "?" : p.failure().message(),
            settings.pollInterval());
      }
      run.phase = Phase.POLLING;
      run.dueAtMs = now() + settings.pollInterval().toMillis();
      return;
    }
    if (p.state() != BatchClient.State.SUCCEEDED) {
      ended(
          run,
          Outcome.Failure.retryable(
              FailureCode.MODEL_UNAVAILABLE,
              null,
              "batch " + run.name + " ended " + p.state() + " without answers",
              null),
          p.state().name());
      return;
    }
    finish(run);
    int answered = 0;
    for (String jobId : run.jobIds) {
      PendingJob entry = entryIn(run, jobId);
      members.remove(jobId);
      if (entry == null) {
        continue; // ended while its batch ran (cancelled): its answer is dropped
      }
      metrics.batchJob("answered", "answer");
      Outcome outcome = p.outcomes().get(jobId);
      if (outcome == null) {
        outcome =
            Outcome.Failure.retryable(
                    FailureCode.MODEL_BAD_RESPONSE,
                    null,
                    "batch " + run.name + " succeeded without an answer for this job",
                    null)
                .answeredBy(PROVIDER);
      } else {
        answered++;
      }
      EditJob job = decode.apply(entry.frame());
      CompletableFuture<Dispatcher.Attempt> attempt;
      try {
        attempt = dispatcher.answered(job, outcome);
      } catch (RuntimeException e) {
        attempt = CompletableFuture.failedFuture(e);
      }
      attempt.whenComplete(
          (a, error) ->
              owner.complete(
                  jobId,
                  error != null
                      ? new Dispatcher.Failed(
                          Outcome.Failure.retryable(
                              FailureCode.INTERNAL, null, "batch answer failed: " + error, null))
                      : atBatchPrice(a)));
    }
    log.info(
        "Task {}: batch {} succeeded: {} of {} jobs answered",
        context.taskId(),
        run.name,
        answered,
        run.jobIds.size());
  }

  /** The batch ended without answers (failed, expired, cancelled, refused). */
  private void ended(Run run, Outcome.Failure failure, String how) {
    if (run.over) {
      return;
    }
    leaveAll(run, failure, how, settings.failOnBatchFailure(), "batch_ended");
  }

  /**
   * The batch did not end within {@code batch.deadline.ms}: it is cancelled (looked up first if its
   * name is not known), and then its jobs go online or fail. Its answers, if it still gives any,
   * are ignored: the jobs' entries no longer name it.
   */
  private void deadline(Run run) {
    Duration limit = settings.deadline();
    Outcome.Failure failure =
        Outcome.Failure.permanent(
            FailureCode.EXPIRED,
            null,
            null,
            "batch "
                + (run.name == null ? run.displayName : run.name)
                + " did not end within batch.deadline.ms="
                + limit.toMillis()
                + " ("
                + limit
                + "); it was cancelled and its answers are ignored");
    String how = "passed batch.deadline.ms";
    if (run.name == null && !run.recovered) {
      // Never sent to the service: nothing to cancel.
      leaveAll(run, failure, how, settings.failOnDeadline(), "deadline");
      return;
    }
    run.phase = Phase.CANCELLING;
    String name = run.name;
    settings
        .executor()
        .execute(
            () -> {
              String target = name;
              Optional<Outcome.Failure> problem;
              try {
                if (target == null) {
                  target = settings.service().find(run.displayName).orElse(null);
                }
                problem = target == null ? Optional.empty() : settings.service().cancel(target);
              } catch (RuntimeException e) {
                problem =
                    Optional.of(
                        Outcome.Failure.retryable(FailureCode.INTERNAL, null, e.toString(), null));
              }
              String cancelled = target;
              Optional<Outcome.Failure> result = problem;
              post(
                  () -> {
                    if (result.isPresent()) {
                      log.warn(
                          "Task {}: batch {} ({}) passed its deadline and could not be cancelled"
                              + " ({}); its answers will be ignored",
                          context.taskId(),
                          cancelled,
                          run.displayName,
                          result.get().message());
                    } else if (cancelled != null) {
                      log.info("Task {}: batch {} cancelled", context.taskId(), cancelled);
                    }
                    leaveAll(run, failure, how, settings.failOnDeadline(), "deadline");
                  });
            });
  }

  /** Every job of the batch leaves it: it fails with {@code failure}, or goes online for good. */
  private void leaveAll(Run run, Outcome.Failure failure, String how, boolean fail, String cause) {
    finish(run);
    log.warn(
        "Task {}: batch {} ({}) {}: {}; its {} jobs {}",
        context.taskId(),
        run.name,
        run.displayName,
        how,
        failure.message(),
        run.jobIds.size(),
        fail ? "fail" : "go online");
    for (String jobId : run.jobIds) {
      PendingJob entry = entryIn(run, jobId);
      members.remove(jobId);
      if (entry == null) {
        continue;
      }
      if (fail) {
        metrics.batchJob("failed", cause);
        owner.complete(
            jobId,
            Dispatcher.Failed.beforeTheCall(
                Outcome.Failure.permanent(
                    failure.code(), failure.httpStatus(), null, failure.message())));
      } else {
        metrics.batchJob("online", cause);
        pending.put(jobId, entry.online().encode());
        owner.online(jobId);
      }
    }
  }

  /** The batch is over for the lane: forgotten, and its room in the batch quota given back. */
  private void finish(Run run) {
    if (run.over) {
      return;
    }
    run.over = true;
    runs.remove(run.displayName, run);
    settings.quota().release(run.requests, run.tokens);
  }

  private void leave(Run run, String jobId) {
    run.jobIds.remove(jobId);
    members.remove(jobId);
  }

  /** The pending entry of a job still in this batch, or null. */
  private PendingJob entryIn(Run run, String jobId) {
    byte[] raw = pending.get(jobId);
    if (raw == null) {
      return null;
    }
    PendingJob entry = PendingJob.decode(raw);
    return entry.batch() != null && entry.batch().displayName().equals(run.displayName)
        ? entry
        : null;
  }

  private static Dispatcher.Attempt atBatchPrice(Dispatcher.Attempt a) {
    if (a instanceof Dispatcher.Produced p && !p.cacheHit() && p.estimatedCostUsd() != null) {
      return new Dispatcher.Produced(
          p.images(),
          p.text(),
          p.model(),
          p.modelVersion(),
          p.usage(),
          p.modelTime(),
          p.cacheHit(),
          p.contentKey(),
          p.provider(),
          p.estimatedCostUsd() * PRICE_FACTOR);
    }
    return a;
  }

  private void post(Runnable event) {
    if (!closed) {
      events.add(event);
    }
  }

  private long lastNowMs;

  private long now() {
    return lastNowMs;
  }

  /** Jobs the lane holds (waiting for a batch or in one). */
  int size() {
    return members.size();
  }

  /**
   * The task closes (rebalance, shutdown): its batches go with its pending entries to the next
   * owner, which takes their room in its own pool.
   */
  void close() {
    closed = true;
    for (Run run : List.copyOf(runs.values())) {
      finish(run);
    }
  }
}
