package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.batch.BatchClient;
import io.editstream.processor.batch.BatchService;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.BatchQuota;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import io.editstream.schema.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch lane wired into the topology (issue 18.1-18.2), on a fake clock with a fake batch
 * service that runs inline: BULK jobs are grouped per model into batches of {@code maxRequests} or
 * after {@code maxWait}, created only after their display name is in the pending entries, polled,
 * and answered through the online outcome path at half price; a restart finds, resumes or creates
 * each batch exactly once.
 */
class BatchLaneWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;
  private static final Instant START = Instant.ofEpochMilli(1_700_000_000_000L);
  private static final Duration MAX_WAIT = Duration.ofSeconds(1);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final double ONLINE_COST = 0.2;

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(START);
  private final AtomicLong nanos = clock.nanos;
  private final FakeBatches batches = new FakeBatches();
  private final FakeDispatcher dispatcher = new FakeDispatcher();
  private TopologyHarness harness;
  private DispatchGate gate;
  // The batch deadline and quota of the next runtime (the defaults: 24 h, online, no limit).
  private Duration deadline = BatchSettings.DEFAULT_DEADLINE;
  private boolean failOnDeadline;
  private long quotaRequests;
  private BatchQuota quota;
  private JobRuntime.Validator validator = job -> Optional.empty();
  private SimpleMeterRegistry meters;
  private JobDirectory directory;

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private JobRuntime runtime(boolean failOnBatchFailure) {
    return runtime(failOnBatchFailure, true);
  }

  private JobRuntime runtime(boolean failOnBatchFailure, boolean bulkByDefault) {
    gate =
        TopologyHarness.gate(
            clock, new QuotaLimits(0, 0, 0, 1_000_000, 1), 8, new SimpleMeterRegistry());
    JobRuntime base =
        TopologyHarness.runtime(
            dispatcher,
            validator,
            gate,
            clock,
            Duration.ofMillis(100),
            new TopologyMetrics(meters = new SimpleMeterRegistry()));
    directory = base.jobs();
    return new JobRuntime(
        base.dispatcher(),
        base.validator(),
        base.gate(),
        base.clock(),
        base.backoff(),
        base.maxAttempts(),
        base.pendingMaxPerTask(),
        base.completedRetention(),
        base.metrics(),
        base.deadLetterSpill(),
        base.jobs(),
        base.spendCaps(),
        base.holds(),
        new BatchSettings(
            batches,
            Runnable::run,
            3,
            MAX_WAIT,
            POLL,
            failOnBatchFailure,
            deadline,
            failOnDeadline,
            quota = new BatchQuota(quotaRequests, 0, () -> 1.0),
            bulkByDefault));
  }

  private void start(boolean failOnBatchFailure) {
    harness = new TopologyHarness(runtime(failOnBatchFailure), "batch-lane-test", stateDir);
  }

  private EditJob job(String id, Priority priority) {
    EditJob job = EditstreamTopologyTest.job(id, "remove the background " + id);
    job.setPriority(priority);
    return job;
  }

  private void submit(String id) {
    harness.submit(id, job(id, Priority.BULK));
  }

  private void run(Duration d) {
    harness.run(clock, d);
  }

  private void tick() {
    harness.run(clock, JobProcessor.TICK);
  }

  private Map<String, PendingJob> pendingEntries() {
    Map<String, PendingJob> out = new LinkedHashMap<>();
    KeyValueStore<String, byte[]> store =
        harness.driver.getKeyValueStore(JobProcessor.PENDING_STORE);
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      it.forEachRemaining(kv -> out.put(kv.key, PendingJob.decode(kv.value)));
    }
    return out;
  }

  @Test
  void shouldGroupBulkJobsIntoBatchesOfMaxRequestsOrAfterMaxWaitWithoutAnOnlineCall() {
    start(false);
    for (int i = 0; i < 7; i++) {
      submit("j" + i);
    }
    harness.submit("i0", job("i0", Priority.INTERACTIVE));
    run(Duration.ofMillis(50));

    assertThat(batches.created()).hasSize(2);
    assertThat(batches.sizes()).containsExactly(3, 3);

    run(MAX_WAIT);
    assertThat(batches.sizes())
        .as("the seventh job, after batch.max.wait")
        .containsExactly(3, 3, 1);

    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    Map<String, EditResult> results = harness.results.readKeyValuesToMap();
    assertThat(results).containsOnlyKeys("j0", "j1", "j2", "j3", "j4", "j5", "j6", "i0");
    assertThat(dispatcher.online).as("only the INTERACTIVE job went online").containsExactly("i0");
    for (int i = 0; i < 7; i++) {
      EditResult r = results.get("j" + i);
      assertThat(r.getProvider()).isEqualTo("ai-studio");
      assertThat(r.getEstimatedCostUsd()).as("the batch price").isEqualTo(ONLINE_COST / 2);
      assertThat(r.getAttempts()).isEqualTo(1);
      assertThat(r.getLane()).as("the lane marker").isEqualTo("batch");
    }
    assertThat(results.get("i0").getEstimatedCostUsd()).isEqualTo(ONLINE_COST);
    assertThat(results.get("i0").getLane()).isEqualTo("online");
    assertThat(harness.failures.isEmpty()).isTrue();
    assertThat(pendingEntries()).isEmpty();
    assertThat(gate.queued()).isZero();
  }

  private EditJob job(String id, Priority priority, String lane) {
    EditJob job = job(id, priority);
    Map<String, String> attributes = new LinkedHashMap<>(job.getAttributes());
    attributes.put("editstream.lane", lane);
    job.setAttributes(attributes);
    return job;
  }

  private Map<String, String> lanes(Map<String, EditResult> results) {
    Map<String, String> out = new LinkedHashMap<>();
    results.forEach((id, r) -> out.put(id, r.getLane()));
    return out;
  }

  @Test
  void withBulkAJobAskingOnlineShouldStayOnlineAndAnInteractiveJobAskingBatchShouldGoByBatch() {
    start(false);
    harness.submit("b0", job("b0", Priority.BULK)); // no attribute: BULK goes by batch
    harness.submit("o0", job("o0", Priority.BULK, "online"));
    harness.submit("i0", job("i0", Priority.INTERACTIVE, "batch"));
    harness.submit("i1", job("i1", Priority.INTERACTIVE, " Batch ")); // spelled loosely
    run(Duration.ofMillis(50));

    assertThat(batches.sizes()).containsExactly(3);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    Map<String, EditResult> results = harness.results.readKeyValuesToMap();
    assertThat(dispatcher.online).containsExactly("o0");
    assertThat(lanes(results))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("b0", "batch", "o0", "online", "i0", "batch", "i1", "batch"));
    assertThat(results.get("o0").getEstimatedCostUsd()).isEqualTo(ONLINE_COST);
    assertThat(results.get("i0").getEstimatedCostUsd()).isEqualTo(ONLINE_COST / 2);
  }

  @Test
  void withPerJobOnlyJobsAskingForTheBatchLaneShouldGoByBatch() {
    harness = new TopologyHarness(runtime(false, false), "batch-lane-test", stateDir);
    harness.submit("b0", job("b0", Priority.BULK)); // no attribute: online under per-job
    harness.submit("b1", job("b1", Priority.BULK, "batch"));
    harness.submit("i0", job("i0", Priority.INTERACTIVE, "batch"));
    harness.submit("o0", job("o0", Priority.BULK, "online"));
    run(MAX_WAIT.plus(POLL));

    assertThat(batches.sizes()).as("b1 and i0, after batch.max.wait").containsExactly(2);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    Map<String, EditResult> results = harness.results.readKeyValuesToMap();
    assertThat(dispatcher.online).containsExactlyInAnyOrder("b0", "o0");
    assertThat(lanes(results))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("b0", "online", "b1", "batch", "i0", "batch", "o0", "online"));
    assertThat(results.get("b1").getEstimatedCostUsd()).isEqualTo(ONLINE_COST / 2);
    assertThat(harness.failures.isEmpty()).isTrue();
  }

  @Test
  void aJobAskingForALaneThatDoesNotExistShouldFailNamingTheAttributeAndTheLanes() {
    io.editstream.processor.validate.JobValidator real =
        new io.editstream.processor.validate.JobValidator(
            io.editstream.processor.validate.ValidationLimits.defaults());
    validator =
        job ->
            real.validate(job)
                .map(r -> Outcome.Failure.permanent(r.code(), null, null, r.message()));
    start(false);
    harness.submit("x0", job("x0", Priority.BULK, "cheap"));
    harness.submit("b0", job("b0", Priority.BULK, "batch"));
    run(Duration.ofMillis(50));

    EditFailure failure = harness.failures.readKeyValuesToMap().get("x0");
    assertThat(failure.getCode()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(failure.getMessage())
        .isEqualTo("attributes[editstream.lane]: 'cheap' is not a lane; use one of batch, online");
    assertThat(failure.getAttempts()).isZero();
    assertThat(failure.getLane()).isEqualTo("online");
    assertThat(dispatcher.online).isEmpty();
    assertThat(pendingEntries()).as("the valid one waits for its batch").containsOnlyKeys("b0");
  }

  @Test
  void aCacheHitShouldBeMarkedOnlineEvenWhenItsJobAskedForTheBatchLane() {
    start(false);
    dispatcher.hits.add("h0");
    harness.submit("h0", job("h0", Priority.BULK, "batch"));
    run(Duration.ofMillis(50));

    EditResult hit = harness.results.readKeyValuesToMap().get("h0");
    assertThat(hit.getCacheHit()).isTrue();
    assertThat(hit.getLane()).isEqualTo("online");
    assertThat(batches.created()).isEmpty();
    assertThat(dispatcher.online).isEmpty();
  }

  @Test
  void shouldRecordTheBatchInThePendingEntriesBeforeCreatingItAndItsNameAfter() {
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    tick(); // groups the three and records the batch's display name

    Map<String, PendingJob> recorded = pendingEntries();
    assertThat(batches.created()).as("not before the commit of the next punctuation").isEmpty();
    assertThat(recorded.values())
        .extracting(PendingJob::batch)
        .allSatisfy(ref -> assertThat(ref.name()).isNull())
        .extracting(PendingJob.BatchRef::displayName)
        .containsOnly(recorded.get("j0").batch().displayName())
        .allSatisfy(name -> assertThat(name).startsWith("batch-lane-test-0_0-"));
    assertThat(recorded.get("j0").modelCalls()).as("counted up front, like a dispatch").isOne();

    tick(); // creates it
    tick(); // records its name

    assertThat(batches.created()).containsExactly(recorded.get("j0").batch().displayName());
    assertThat(pendingEntries().values())
        .extracting(e -> e.batch().name())
        .containsOnly("batches/1");
  }

  @Test
  void shouldRetryARequestThatFailedInsideItsBatchInANewBatch() {
    start(false);
    batches.answers.put(
        "j1", Outcome.Failure.retryable(FailureCode.MODEL_UNAVAILABLE, 503, "overloaded", null));
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j0", "j2");
    assertThat(pendingEntries()).containsOnlyKeys("j1");
    batches.answers.remove("j1");

    run(MAX_WAIT.plus(POLL)); // its backoff, then batch.max.wait for a batch of its own
    assertThat(batches.sizes()).containsExactly(3, 1);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    EditResult retried = harness.results.readKeyValuesToMap().get("j1");
    assertThat(retried.getAttempts()).as("two calls, one per batch").isEqualTo(2);
    assertThat(dispatcher.online).isEmpty();
    assertThat(batches.created()).doesNotHaveDuplicates();
  }

  @Test
  void shouldSendTheJobsOfAFailedBatchOnline() {
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    batches.finishAll(BatchClient.State.FAILED);
    run(POLL.multipliedBy(3));

    Map<String, EditResult> results = harness.results.readKeyValuesToMap();
    assertThat(results).containsOnlyKeys("j0", "j1", "j2");
    assertThat(dispatcher.online).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(results.values())
        .allSatisfy(r -> assertThat(r.getEstimatedCostUsd()).isEqualTo(ONLINE_COST))
        .allSatisfy(r -> assertThat(r.getAttempts()).as("the batch made no call").isOne())
        .allSatisfy(r -> assertThat(r.getLane()).as("answered online").isEqualTo("online"));
    assertThat(batches.created()).hasSize(1);
  }

  @Test
  void shouldFailTheJobsOfAnExpiredBatchWhenSetToFail() {
    start(true);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    batches.finishAll(BatchClient.State.EXPIRED);
    run(POLL.multipliedBy(3));

    Map<String, EditFailure> failures = harness.failures.readKeyValuesToMap();
    assertThat(failures).containsOnlyKeys("j0", "j1", "j2");
    assertThat(failures.values())
        .allSatisfy(f -> assertThat(f.getMessage()).contains("EXPIRED"))
        .allSatisfy(f -> assertThat(f.getRetryable()).isFalse())
        .allSatisfy(f -> assertThat(f.getLane()).as("ended in its batch").isEqualTo("batch"));
    assertThat(harness.results.isEmpty()).isTrue();
    assertThat(dispatcher.online).isEmpty();
  }

  @Test
  void shouldSendTheJobsOfABatchThatIsGoneOnlineRatherThanPollItForever() {
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    batches.gone = true;
    run(POLL.multipliedBy(3));

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j0", "j1", "j2");
    assertThat(dispatcher.online).containsExactlyInAnyOrder("j0", "j1", "j2");
    int polls = batches.polled.size();
    run(POLL.multipliedBy(3));
    assertThat(batches.polled).as("not asked again").hasSize(polls);
  }

  // --- the deadline (18.3) ---

  private void startWithDeadline(Duration d, boolean fail) {
    deadline = d;
    failOnDeadline = fail;
    start(false);
  }

  @Test
  void shouldCancelABatchPastItsDeadlineSendItsJobsOnlineAndIgnoreItsLateAnswers() {
    startWithDeadline(Duration.ofSeconds(2), false);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    assertThat(batches.created()).hasSize(1);

    run(Duration.ofMillis(1800));
    assertThat(batches.cancelled).as("not before its deadline").isEmpty();
    assertThat(harness.results.isEmpty()).isTrue();

    run(Duration.ofMillis(200));
    assertThat(batches.cancelled).containsExactly("batches/1");
    run(Duration.ofMillis(50));
    assertThat(dispatcher.online).containsExactlyInAnyOrder("j0", "j1", "j2");

    batches.finishAll(BatchClient.State.SUCCEEDED); // too late: ignored
    run(POLL.multipliedBy(5));
    List<EditResult> results = harness.results.readValuesToList();
    assertThat(results)
        .extracting(EditResult::getJobId)
        .as("exactly one outcome each, the online one")
        .containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(results).allSatisfy(r -> assertThat(r.getEstimatedCostUsd()).isEqualTo(ONLINE_COST));
    assertThat(harness.failures.isEmpty()).isTrue();
    assertThat(batches.cancelled).as("cancelled once").hasSize(1);
    assertThat(pendingEntries()).isEmpty();
    assertThat(quota.enqueuedRequests()).as("its room given back").isZero();
  }

  @Test
  void shouldFailTheJobsOfABatchPastItsDeadlineAsExpiredWhenSetToFail() {
    startWithDeadline(Duration.ofSeconds(2), true);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(2100));

    assertThat(batches.cancelled).containsExactly("batches/1");
    Map<String, EditFailure> failures = harness.failures.readKeyValuesToMap();
    assertThat(failures).containsOnlyKeys("j0", "j1", "j2");
    assertThat(failures.values())
        .allSatisfy(f -> assertThat(f.getCode()).isEqualTo(FailureCode.EXPIRED))
        .allSatisfy(f -> assertThat(f.getMessage()).contains("batch.deadline.ms=2000"))
        .allSatisfy(f -> assertThat(f.getRetryable()).isFalse());
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(5));
    assertThat(harness.results.isEmpty()).isTrue();
    assertThat(harness.failures.isEmpty()).as("one outcome each").isTrue();
    assertThat(dispatcher.online).isEmpty();
    assertThat(quota.enqueuedRequests()).isZero();
  }

  @Test
  void shouldCountTheDeadlineFromWhenTheBatchWasRecordedAcrossARestart() {
    deadline = Duration.ofSeconds(2);
    crashAfterRecording();
    tick();
    tick(); // created, its name recorded
    run(Duration.ofMillis(1500));
    Map<String, byte[]> restored = snapshot();
    harness.close();
    harness = null;

    Restarted task = new Restarted(restored);
    assertThat(quota.enqueuedRequests()).as("the restored batch holds its room").isEqualTo(3);
    task.run(Duration.ofMillis(300));
    assertThat(batches.cancelled).as("2 s after it was recorded, not after the restart").isEmpty();
    task.run(Duration.ofMillis(300));

    assertThat(batches.cancelled).containsExactly("batches/1");
    task.run(Duration.ofMillis(50));
    assertThat(dispatcher.online).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(task.results()).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(quota.enqueuedRequests()).isZero();
    task.processor.close();
  }

  @Test
  void shouldLeaveABatchThatWasNeverCreatedAtItsDeadlineWithoutCancellingAnything() {
    startWithDeadline(Duration.ofSeconds(2), false);
    batches.refuse429 = 1_000; // the service keeps answering 429: the batch is never created
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(2100));

    assertThat(batches.created()).isEmpty();
    assertThat(batches.cancelled).isEmpty();
    assertThat(dispatcher.online).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j0", "j1", "j2");
    assertThat(batches.submits.size())
        .as("asked again after each 429's delay, not at every tick")
        .isBetween(2, 8);
  }

  // --- the batch quota pool (18.4) ---

  @Test
  void shouldKeepABatchWaitingUntilItFitsInTheBatchQuotaWhileInteractiveJobsFlow() {
    quotaRequests = 3;
    start(false);
    for (int i = 0; i < 6; i++) {
      submit("j" + i);
    }
    run(Duration.ofMillis(50));
    assertThat(batches.created()).as("the second does not fit").hasSize(1);
    assertThat(quota.enqueuedRequests()).isEqualTo(3);

    harness.submit("i0", job("i0", Priority.INTERACTIVE));
    run(MAX_WAIT.multipliedBy(2));
    assertThat(batches.created()).as("still waiting, not refused").hasSize(1);
    assertThat(harness.results.readKeyValuesToMap())
        .as("the INTERACTIVE job went online meanwhile")
        .containsOnlyKeys("i0");

    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));
    assertThat(batches.created()).as("created once the first ended").hasSize(2);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    assertThat(harness.results.readKeyValuesToMap())
        .containsOnlyKeys("j0", "j1", "j2", "j3", "j4", "j5");
    assertThat(dispatcher.online).containsExactly("i0");
    assertThat(batches.submits).as("no submission refused").hasSize(2);
    assertThat(quota.enqueuedRequests()).isZero();
    assertThat(quota.enqueuedTokens()).isZero();
  }

  @Test
  void shouldGiveTheRoomOfAFailedBatchBack() {
    quotaRequests = 3;
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    assertThat(quota.enqueuedRequests()).isEqualTo(3);
    assertThat(quota.enqueuedTokens()).isPositive();
    batches.finishAll(BatchClient.State.FAILED);
    run(POLL.multipliedBy(3));

    assertThat(quota.enqueuedRequests()).isZero();
    assertThat(quota.enqueuedTokens()).isZero();
  }

  @Test
  void shouldWaitAndCreateTheBatchLaterWhenTheServiceAnswers429() {
    start(false);
    batches.refuse429 = 1;
    submit("j0");
    submit("j1");
    submit("j2");
    run(Duration.ofMillis(50));
    assertThat(batches.submits).hasSize(1);
    assertThat(batches.created()).isEmpty();
    assertThat(dispatcher.online).as("a 429 is not a refused batch").isEmpty();
    assertThat(harness.failures.isEmpty()).isTrue();

    run(Duration.ofMillis(400)); // its retryDelay (300 ms)
    assertThat(batches.submits).as("tried once more, after the delay").hasSize(2);
    assertThat(batches.created()).hasSize(1);
    assertThat(batches.finds).as("a 429 created nothing: no look-up").isZero();
    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j0", "j1", "j2");
    assertThat(dispatcher.online).isEmpty();
  }

  @Test
  void shouldShowAJobInABatchAsInBatchAndAgeItOnItsOwnGauge() {
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    harness.submit("i0", job("i0", Priority.INTERACTIVE));
    dispatcher.holdOnline = true;
    run(Duration.ofMillis(50));
    assertThat(batches.created()).hasSize(1);

    assertThat(directory.find("j0")).get().extracting(LiveJob::state).isEqualTo(JobState.IN_BATCH);
    assertThat(directory.find("i0")).get().extracting(LiveJob::state).isEqualTo(JobState.IN_FLIGHT);
    run(Duration.ofSeconds(2));
    // Both were accepted 2.05 s ago; the batch job is only on the batch gauge.
    assertThat(gauge(TopologyMetrics.PENDING_OLDEST_AGE)).as("i0 only").isEqualTo(2.05);
    assertThat(gauge(TopologyMetrics.BATCH_OLDEST_AGE)).isEqualTo(2.05);
    dispatcher.releaseOnline();
    run(Duration.ofMillis(50));
    assertThat(gauge(TopologyMetrics.PENDING_OLDEST_AGE)).as("i0 answered").isZero();
    assertThat(gauge(TopologyMetrics.BATCH_OLDEST_AGE)).isEqualTo(2.1);

    batches.finishAll(BatchClient.State.SUCCEEDED);
    run(POLL.multipliedBy(3));
    assertThat(gauge(TopologyMetrics.BATCH_OLDEST_AGE)).isZero();
  }

  @Test
  void shouldShowAJobWhoseBatchARestartResumesAsInBatch() {
    crashAfterRecording();
    tick();
    Map<String, byte[]> restored = snapshot();
    harness.close();
    harness = null;

    Restarted task = new Restarted(restored);
    task.run(Duration.ofMillis(50));

    assertThat(directory.find("j0")).get().extracting(LiveJob::state).isEqualTo(JobState.IN_BATCH);
    assertThat(gauge(TopologyMetrics.PENDING_OLDEST_AGE)).isZero();
    assertThat(gauge(TopologyMetrics.BATCH_OLDEST_AGE)).isPositive();
    task.processor.close();
  }

  private double gauge(String name) {
    return meters.get(name).gauge().value();
  }

  // --- restarts: a new task over what the changelog restores, at each step of the protocol ---

  /** The pending store after the punctuation that recorded the batch, before it was created. */
  private Map<String, byte[]> crashAfterRecording() {
    start(false);
    submit("j0");
    submit("j1");
    submit("j2");
    tick();
    Map<String, byte[]> snapshot = snapshot();
    assertThat(batches.created()).isEmpty();
    return snapshot;
  }

  private Map<String, byte[]> snapshot() {
    Map<String, byte[]> out = new LinkedHashMap<>();
    pendingEntries().forEach((k, v) -> out.put(k, v.encode()));
    return out;
  }

  private final class Restarted {
    final TopologyHarness.RestoredTask task = new TopologyHarness.RestoredTask();
    final MockProcessorContext<String, SpecificRecord> context = task.context;
    final JobProcessor processor;
    final Punctuator tick;

    Restarted(Map<String, byte[]> pendingEntries) {
      pendingEntries.forEach(task.pending::put);
      processor = task.open(runtime(false));
      tick = task.tick();
    }

    void run(Duration d) {
      for (long t = 0; t < d.toMillis(); t += JobProcessor.TICK.toMillis()) {
        nanos.addAndGet(JobProcessor.TICK.toNanos());
        tick.punctuate(0);
      }
    }

    List<String> results() {
      List<String> out = new ArrayList<>();
      for (var f : context.forwarded()) {
        if (f.record().value() instanceof EditResult r) {
          out.add(r.getJobId());
        } else {
          out.add("failure:" + f.record().key());
        }
      }
      return out;
    }
  }

  @Test
  void shouldCreateABatchWhoseCreationACrashPreventedOnceAfterLookingForIt() {
    Map<String, byte[]> restored = crashAfterRecording();
    harness.close();
    harness = null;

    Restarted task = new Restarted(restored);
    task.run(Duration.ofMillis(50));

    assertThat(batches.finds).as("looked up by its display name first").isEqualTo(1);
    assertThat(batches.created()).hasSize(1);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    task.run(POLL.multipliedBy(3));
    assertThat(task.results()).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(batches.created()).hasSize(1);
    task.processor.close();
  }

  @Test
  void shouldFindABatchCreatedJustBeforeACrashInsteadOfCreatingItAgain() {
    Map<String, byte[]> restored = crashAfterRecording();
    tick(); // the batch is created; the crash comes before its name is recorded
    assertThat(batches.created()).hasSize(1);
    harness.close();
    harness = null;

    Restarted task = new Restarted(restored);
    task.run(Duration.ofMillis(50));
    batches.finishAll(BatchClient.State.SUCCEEDED);
    task.run(POLL.multipliedBy(3));

    assertThat(batches.created()).as("not created a second time").hasSize(1);
    assertThat(batches.polled).containsOnly("batches/1");
    assertThat(task.results()).containsExactlyInAnyOrder("j0", "j1", "j2");
    task.processor.close();
  }

  @Test
  void shouldResumePollingABatchWhoseNameWasRecordedBeforeACrash() {
    crashAfterRecording();
    tick();
    tick();
    Map<String, byte[]> restored = snapshot();
    assertThat(restored.values())
        .allSatisfy(raw -> assertThat(PendingJob.decode(raw).batch().name()).isNotNull());
    harness.close();
    harness = null;

    Restarted task = new Restarted(restored);
    batches.finishAll(BatchClient.State.SUCCEEDED);
    task.run(POLL.multipliedBy(3));

    assertThat(batches.finds).isZero();
    assertThat(batches.created()).hasSize(1);
    assertThat(task.results()).containsExactlyInAnyOrder("j0", "j1", "j2");
    task.processor.close();
  }

  /** Online calls are recorded and answered at the online price; batch answers pass through. */
  private static final class FakeDispatcher implements Dispatcher {
    final List<String> online = new CopyOnWriteArrayList<>();
    final List<String> hits = new CopyOnWriteArrayList<>();

    @Override
    public Optional<Produced> cached(EditJob job) {
      if (!hits.contains(job.getJobId())) {
        return Optional.empty();
      }
      return Optional.of(
          new Produced(
              List.of(),
              "done",
              MODEL,
              "v1",
              new TokenUsage(0, 0, 0, 0),
              Duration.ZERO,
              true,
              "ck",
              null,
              0.0));
    }

    // With holdOnline, online calls stay in flight until releaseOnline().
    volatile boolean holdOnline;
    final List<CompletableFuture<Attempt>> held = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber) {
      online.add(job.getJobId());
      if (holdOnline) {
        CompletableFuture<Attempt> call = new CompletableFuture<>();
        held.add(call);
        return call;
      }
      return CompletableFuture.completedFuture(produced("online"));
    }

    void releaseOnline() {
      held.forEach(c -> c.complete(produced("online")));
    }

    @Override
    public CompletableFuture<Prepared> prepare(EditJob job) {
      return CompletableFuture.completedFuture(
          new Prepared(
              new ModelRequest(
                  MODEL, List.of(), job.getInstruction(), List.of(), ImageSize.SIZE_1K, null),
              null));
    }

    @Override
    public CompletableFuture<Attempt> answered(EditJob job, Outcome outcome) {
      if (outcome instanceof Outcome.Failure f) {
        return CompletableFuture.completedFuture(new Failed(f));
      }
      return CompletableFuture.completedFuture(produced(((Outcome.Success) outcome).provider()));
    }

    private static Produced produced(String provider) {
      return new Produced(
          List.of(),
          "done",
          MODEL,
          "v1",
          new TokenUsage(100, 1120, 1120, 1220),
          Duration.ofMillis(5),
          false,
          "ck",
          provider,
          ONLINE_COST);
    }
  }

  /** A batch service in memory: batches run until the test ends them. */
  private static final class FakeBatches implements BatchService {
    private final Map<String, String> displayNames = new ConcurrentHashMap<>(); // name -> display
    private final Map<String, List<String>> keys = new ConcurrentHashMap<>();
    private final Map<String, BatchClient.State> states = new ConcurrentHashMap<>();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final List<Integer> sizes = new CopyOnWriteArrayList<>();
    final Map<String, Outcome> answers = new ConcurrentHashMap<>();
    final List<String> polled = new CopyOnWriteArrayList<>();
    final List<String> cancelled = new CopyOnWriteArrayList<>();
    final List<String> submits = new CopyOnWriteArrayList<>();
    volatile int finds;
    volatile boolean gone;
    // The next this many submissions are refused with a 429 (the batch quota is full).
    volatile int refuse429;

    @Override
    public Optional<Outcome.Failure> cancel(String batchName) {
      cancelled.add(batchName);
      states.computeIfPresent(batchName, (n, s) -> s.terminal() ? s : BatchClient.State.CANCELLED);
      return Optional.empty();
    }

    @Override
    public BatchClient.Submission submit(
        String model, String displayName, List<BatchClient.KeyedRequest> requests) {
      submits.add(displayName);
      if (refuse429 > 0) {
        refuse429--;
        return new BatchClient.Submission.Refused(
            Outcome.Failure.retryable(
                FailureCode.QUOTA_EXHAUSTED,
                429,
                "enqueued tokens exceeded",
                Duration.ofMillis(300)));
      }
      String name = "batches/" + (created.size() + 1);
      created.add(displayName);
      sizes.add(requests.size());
      displayNames.put(name, displayName);
      keys.put(name, requests.stream().map(BatchClient.KeyedRequest::key).toList());
      states.put(name, BatchClient.State.RUNNING);
      return new BatchClient.Submission.Accepted(name, false);
    }

    @Override
    public Optional<String> find(String displayName) {
      finds++;
      return displayNames.entrySet().stream()
          .filter(e -> e.getValue().equals(displayName))
          .map(Map.Entry::getKey)
          .findFirst();
    }

    @Override
    public BatchClient.Poll poll(String batchName, List<String> keysInOrder) {
      polled.add(batchName);
      if (gone) {
        return new BatchClient.Poll(
            null,
            Map.of(),
            Outcome.Failure.permanent(
                FailureCode.MODEL_NOT_FOUND, 404, null, batchName + " not found"));
      }
      BatchClient.State state = states.get(batchName);
      if (state != BatchClient.State.SUCCEEDED) {
        return new BatchClient.Poll(state, Map.of(), null);
      }
      Map<String, Outcome> outcomes = new LinkedHashMap<>();
      for (String key : keys.get(batchName)) {
        outcomes.put(
            key,
            answers.getOrDefault(
                key,
                new Outcome.Success(
                    List.of(new Outcome.GeneratedImage(new byte[] {1}, "image/png")),
                    "done",
                    "v1",
                    new Outcome.Usage(100, 1120, 1120, 1220),
                    Duration.ofMillis(5),
                    "ai-studio")));
      }
      return new BatchClient.Poll(state, outcomes, null);
    }

    void finishAll(BatchClient.State end) {
      states.replaceAll((name, s) -> s == BatchClient.State.RUNNING ? end : s);
    }

    List<String> created() {
      return created;
    }

    List<Integer> sizes() {
      return sizes;
    }
  }
}
