package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.editstream.schema.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EditstreamTopologyTest {

  @TempDir Path stateDir;

  private final ScriptedDispatcher dispatcher = new ScriptedDispatcher();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private TopologyHarness harness;
  private TestInputTopic<byte[], byte[]> jobs;
  private TestOutputTopic<String, EditResult> results;
  private TestOutputTopic<String, EditFailure> failures;
  private TestOutputTopic<byte[], byte[]> dlq;

  /** Answers by instruction: "fail-N:CODE" fails the first N attempts, "deny:CODE" always fails. */
  static final class ScriptedDispatcher implements Dispatcher {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    // Instructions whose result the "cache" holds: answered by cached() without an attempt.
    final java.util.Set<String> cachedInstructions = ConcurrentHashMap.newKeySet();

    @Override
    public Optional<Produced> cached(EditJob job) {
      if (!cachedInstructions.contains(job.getInstruction())) {
        return Optional.empty();
      }
      return Optional.of(
          new Produced(
              List.of(
                  OutputImage.newBuilder()
                      .setUri("file:///blobs/cached.png")
                      .setSha256("cd".repeat(32))
                      .setMimeType("image/png")
                      .setWidth(1024)
                      .setHeight(1024)
                      .setSizeBytes(999)
                      .build()),
              null,
              "gemini-3.1-flash-image-preview",
              "v1",
              new TokenUsage(0, 0, 0, 0),
              Duration.ZERO,
              true,
              "key-of-" + job.getInstruction(),
              null,
              0.0));
    }

    @Override
    public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber) {
      int n = calls.computeIfAbsent(job.getJobId(), k -> new AtomicInteger()).incrementAndGet();
      String instruction = job.getInstruction();
      if (instruction.startsWith("deny:")) {
        FailureCode code = FailureCode.valueOf(instruction.substring(5));
        return CompletableFuture.completedFuture(
            new Failed(Outcome.Failure.permanent(code, 400, null, "denied by script")));
      }
      if (instruction.startsWith("fail-")) {
        int times = Integer.parseInt(instruction.substring(5, instruction.indexOf(':')));
        if (n <= times) {
          return CompletableFuture.completedFuture(
              new Failed(
                  Outcome.Failure.retryable(
                      FailureCode.MODEL_UNAVAILABLE, 503, "HTTP 503 UNAVAILABLE", Duration.ZERO)));
        }
      }
      return CompletableFuture.completedFuture(TopologyHarness.produced());
    }
  }

  @BeforeEach
  void setUp() {
    JobRuntime runtime =
        TopologyHarness.runtime(
            dispatcher,
            job ->
                job.getInstruction().isBlank()
                    ? Optional.of(
                        Outcome.Failure.permanent(
                            FailureCode.INSTRUCTION_MISSING, null, null, "instruction: blank"))
                    : Optional.empty(),
            DispatchGate.unlimited(new InFlightLimit(4, meters), 1, meters),
            Clock.systemUTC(),
            Duration.ZERO,
            new TopologyMetrics(meters));
    harness = new TopologyHarness(runtime, "topology-test", stateDir);
    jobs = harness.jobs;
    results = harness.results;
    failures = harness.failures;
    dlq = harness.dlq;
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  static EditJob job(String id, String instruction) {
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setSku("SKU-" + id)
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setData(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                    .build()))
        .setInstruction(instruction)
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_1K)
                .build())
        .setPriority(Priority.BULK)
        .setSubmittedAt(Instant.now())
        .setAttributes(Map.of("editstream.batch", "b1"))
        .build();
  }

  private void submit(EditJob job) {
    harness.submit(job.getSku(), job);
  }

  private void tick(int times) {
    for (int i = 0; i < times; i++) {
      harness.round();
    }
  }

  private static final String HOP = "topology-test-jobs-by-id-repartition";

  @Test
  void shouldSkipTheRepartitionHopForAJobKeyedByItsJobId() {
    harness.submit("j1", job("j1", "remove the background"));
    tick(1);

    assertThat(results.readKeyValuesToMap()).containsOnlyKeys("j1");
    assertThat(harness.driver.producedTopicNames()).doesNotContain(HOP);

    submit(job("j2", "remove the background")); // keyed by SKU
    tick(1);
    assertThat(results.readKeyValuesToMap()).containsOnlyKeys("j2");
    assertThat(harness.driver.producedTopicNames()).as("keyed by SKU: the hop").contains(HOP);
  }

  @Test
  void shouldGiveOneOutcomeWhenAJobComesByBothPaths() {
    harness.submit("j1", job("j1", "remove the background")); // direct
    submit(job("j1", "remove the background")); // by SKU, over the hop
    submit(job("j2", "remove the background")); // over the hop first
    harness.submit("j2", job("j2", "remove the background")); // then direct
    tick(2);

    assertThat(results.readKeyValuesToList())
        .extracting(kv -> kv.key)
        .containsExactlyInAnyOrder("j1", "j2");
    assertThat(dispatcher.calls.get("j1").get()).isEqualTo(1);
    assertThat(dispatcher.calls.get("j2").get()).isEqualTo(1);
  }

  @Test
  void shouldSendEveryJobOverTheHopWhenDirectIsOff(@TempDir Path otherState) {
    harness.close();
    harness =
        new TopologyHarness(
            TopologyHarness.runtime(
                dispatcher,
                job -> Optional.empty(),
                DispatchGate.unlimited(new InFlightLimit(4, meters), 1, meters),
                Clock.systemUTC(),
                Duration.ZERO,
                new TopologyMetrics(meters)),
            "topology-test",
            otherState,
            0);
    harness.submit("j1", job("j1", "remove the background"));
    tick(1);

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("j1");
    assertThat(harness.driver.producedTopicNames()).contains(HOP);
  }

  @Test
  void shouldPublishOneResultForAValidJob() {
    submit(job("j1", "remove the background"));
    tick(1);

    List<TestRecord<String, EditResult>> out = results.readRecordsToList();
    assertThat(out).hasSize(1);
    EditResult r = out.get(0).value();
    assertThat(out.get(0).key()).isEqualTo("j1");
    assertThat(r.getJobId()).isEqualTo("j1");
    assertThat(r.getSku()).isEqualTo("SKU-j1");
    assertThat(r.getAttempts()).isEqualTo(1);
    assertThat(r.getImages()).hasSize(1);
    assertThat(r.getAttributes()).containsEntry("editstream.batch", "b1");
    assertThat(failures.isEmpty()).isTrue();
    assertThat(
            meters
                .counter("editstream.jobs.outcome", "outcome", "OK", "cache_hit", "false")
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void shouldPublishEachOutcomeOnItsOwnTopicOnly() {
    dispatcher.cachedInstructions.add("cached pair");
    submit(job("ok", "remove the background")); // answered by the model
    submit(job("hit", "cached pair")); // answered by the cache at decode
    harness.submit("direct", job("direct", "add a drop shadow")); // no hop
    submit(job("denied", "deny:IMAGE_SAFETY")); // the model refuses
    submit(job("invalid", "   ")); // rejected before any call
    tick(3);

    assertThat(results.readKeyValuesToList())
        .extracting(kv -> kv.key)
        .containsExactlyInAnyOrder("ok", "hit", "direct");
    assertThat(failures.readKeyValuesToList())
        .extracting(kv -> kv.key)
        .containsExactlyInAnyOrder("denied", "invalid");
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shouldForwardOutcomesToTheirNamedChildrenOnly() {
    TopologyDescription.Node jobsNode =
        harness.topology.describe().subtopologies().stream()
            .flatMap(sub -> sub.nodes().stream())
            .filter(node -> node.name().equals("jobs"))
            .findFirst()
            .orElseThrow();

    assertThat(jobsNode.successors())
        .extracting(TopologyDescription.Node::name)
        .containsExactlyInAnyOrder(JobProcessor.RESULTS, JobProcessor.FAILURES);
  }

  @Test
  void shouldSendUndecodableBytesToTheDlqWithHeadersAndGoOn() {
    byte[] garbage = {0, 0, 0, 0, 42, (byte) 0xff, (byte) 0xfe};
    jobs.pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage);
    submit(job("j2", "add a drop shadow"));
    tick(1);

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).value()).isEqualTo(garbage);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k");
    assertThat(header(dead.get(0), "editstream.dlq.topic")).isEqualTo("jobs");
    assertThat(header(dead.get(0), "editstream.dlq.partition")).isEqualTo("0");
    assertThat(header(dead.get(0), "editstream.dlq.offset")).isEqualTo("0");
    assertThat(header(dead.get(0), "editstream.dlq.exception"))
        .isEqualTo(SerializationException.class.getName());
    assertThat(results.readValuesToList()).extracting(EditResult::getJobId).containsExactly("j2");
  }

  @Test
  void shouldPublishOneOutcomeForDuplicatedRecords() {
    EditJob j = job("dup", "remove the background");
    submit(j);
    submit(j);
    tick(1);
    submit(j); // after completion too
    tick(2);

    assertThat(results.readValuesToList()).hasSize(1);
    assertThat(dispatcher.calls.get("dup").get()).isEqualTo(1);
    assertThat(meters.counter("editstream.jobs.duplicate").count()).isEqualTo(2.0);
  }

  @Test
  void shouldRetryRetryableFailuresAndCountAttempts() {
    submit(job("r1", "fail-2:retry me"));
    tick(5);

    List<EditResult> out = results.readValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getAttempts()).isEqualTo(3);
    assertThat(meters.counter("editstream.model.retries").count()).isEqualTo(2.0);
  }

  @Test
  void shouldFailWithTheOriginalJobWhenAttemptsRunOut() {
    EditJob j = job("r2", "fail-9:never");
    submit(j);
    tick(6);

    List<EditFailure> out = failures.readValuesToList();
    assertThat(out).hasSize(1);
    EditFailure f = out.get(0);
    assertThat(f.getCode()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(f.getRetryable()).isTrue();
    assertThat(f.getAttempts()).isEqualTo(3);
    assertThat(f.getHttpStatus()).isEqualTo(503);
    assertThat(f.getJob().getJobId()).isEqualTo("r2");
    assertThat(f.getJob().getInstruction()).isEqualTo("fail-9:never");
    assertThat(f.getFirstErrorAt()).isBeforeOrEqualTo(f.getLastErrorAt());
    assertThat(results.isEmpty()).isTrue();
  }

  @Test
  void shouldFailPermanentErrorsAtOnce() {
    submit(job("p1", "deny:IMAGE_SAFETY"));
    tick(3);

    List<EditFailure> out = failures.readValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getCode()).isEqualTo(FailureCode.IMAGE_SAFETY);
    assertThat(out.get(0).getRetryable()).isFalse();
    assertThat(out.get(0).getAttempts()).isEqualTo(1);
    assertThat(dispatcher.calls.get("p1").get()).isEqualTo(1);
    assertThat(results.isEmpty()).isTrue();
  }

  @Test
  void shouldRejectInvalidJobsWithoutCallingTheModel() {
    submit(job("v1", "   "));
    tick(1);

    List<EditFailure> out = failures.readValuesToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getCode()).isEqualTo(FailureCode.INSTRUCTION_MISSING);
    assertThat(out.get(0).getAttempts()).isZero();
    assertThat(dispatcher.calls).doesNotContainKey("v1");
  }

  @Test
  void shouldAnswerCacheHitsAtDecodeWithOneOutcomePerJobId() {
    dispatcher.cachedInstructions.add("remove the background");
    EditJob j = job("h1", "remove the background");
    submit(j);
    submit(j); // a re-published job: already answered
    tick(1);

    List<EditResult> out = results.readValuesToList();
    assertThat(out).hasSize(1);
    EditResult r = out.get(0);
    assertThat(r.getJobId()).isEqualTo("h1");
    assertThat(r.getCacheHit()).isTrue();
    assertThat(r.getAttempts()).isZero();
    assertThat(r.getContentKey()).isEqualTo("key-of-remove the background");
    assertThat(r.getImages())
        .extracting(OutputImage::getUri)
        .containsExactly("file:///blobs/cached.png");
    assertThat(r.getAttributes()).containsEntry("editstream.batch", "b1");
    assertThat(dispatcher.calls).doesNotContainKey("h1");
    assertThat(
            meters.counter("editstream.jobs.outcome", "outcome", "OK", "cache_hit", "true").count())
        .isEqualTo(1.0);
    assertThat(meters.counter("editstream.jobs.duplicate").count()).isEqualTo(1.0);
  }

  @Test
  void shouldGiveAJobAnsweredByTheModelNoSecondOutcomeWhenItsRepeatIsAHit() {
    EditJob j = job("m1", "add a drop shadow");
    submit(j);
    tick(1);
    dispatcher.cachedInstructions.add("add a drop shadow");
    submit(j); // the same jobId again, now answerable from the cache at decode
    submit(job("m2", "add a drop shadow")); // another jobId: a hit
    tick(1);

    List<EditResult> out = results.readValuesToList();
    assertThat(out).extracting(EditResult::getJobId).containsExactly("m1", "m2");
    assertThat(out).extracting(EditResult::getCacheHit).containsExactly(false, true);
    assertThat(dispatcher.calls.get("m1").get()).isEqualTo(1);
    assertThat(dispatcher.calls).doesNotContainKey("m2");
  }

  @Test
  void shouldCallTheModelForABypassOrAnInvalidJobEvenWhenTheCacheHoldsThePair() {
    dispatcher.cachedInstructions.add("remove the background");
    dispatcher.cachedInstructions.add("   ");
    EditJob bypass = job("b1", "remove the background");
    bypass.setBypassCache(true);
    submit(bypass);
    submit(job("b2", "   "));
    tick(1);

    assertThat(results.readValuesToList())
        .extracting(EditResult::getJobId, EditResult::getCacheHit)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("b1", false));
    assertThat(dispatcher.calls.get("b1").get()).isEqualTo(1);
    assertThat(failures.readValuesToList())
        .extracting(EditFailure::getCode)
        .containsExactly(FailureCode.INSTRUCTION_MISSING);
  }

  @Test
  void shouldIgnoreTheInternalHitHeaderOnInputRecords() {
    EditJob j = job("x1", "remove the background");
    var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(DecodeProcessor.HIT_HEADER, new byte[] {1});
    jobs.pipeInput(
        new TestRecord<>(
            "k".getBytes(StandardCharsets.UTF_8), harness.frame(j), headers, Instant.now()));
    tick(1);

    // Treated as the job it is: called and answered, not decoded as a result.
    assertThat(results.readValuesToList())
        .extracting(EditResult::getJobId, EditResult::getCacheHit)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("x1", false));
    assertThat(dispatcher.calls.get("x1").get()).isEqualTo(1);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
