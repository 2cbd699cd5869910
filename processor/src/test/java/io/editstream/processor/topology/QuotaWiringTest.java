package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The throttle wired into the topology, on a fake clock: jobs leave at the pool's rate, another
 * tenant's job overtakes a backlog, a 429 pauses the pool and the job is retried through it.
 */
class QuotaWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(Instant.ofEpochMilli(1_700_000_000_000L));
  private final AtomicLong nanos = clock.nanos;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private TopologyHarness harness;
  private TestInputTopic<byte[], byte[]> jobs;
  private TestOutputTopic<String, EditResult> results;
  private TestOutputTopic<String, EditFailure> failures;
  private DispatchGate gate;

  /** Records the order of calls; "429 once" is rate limited on its first attempt. */
  private final Dispatcher dispatcher =
      (job, attempt) -> {
        calls.add(job.getJobId());
        if (job.getInstruction().equals("429 once") && attempt == 1) {
          return CompletableFuture.completedFuture(
              new Dispatcher.Failed(
                  Outcome.Failure.retryable(
                      FailureCode.QUOTA_EXHAUSTED,
                      429,
                      "HTTP 429 RESOURCE_EXHAUSTED",
                      Duration.ofSeconds(5))));
        }
        return CompletableFuture.completedFuture(TopologyHarness.imageless());
      };

  private void start(QuotaLimits limits) {
    gate =
        new DispatchGate(
            new InFlightLimit(8, meters),
            1,
            model ->
                QuotaPool.builder(model, limits)
                    .ticker(nanos::get)
                    .window(Duration.ofSeconds(60))
                    .meterRegistry(meters)
                    .build(),
            Map.of(),
            1.0,
            10_000,
            meters);
    JobRuntime runtime =
        TopologyHarness.runtime(dispatcher, gate, clock, new TopologyMetrics(meters));
    harness = new TopologyHarness(runtime, "quota-wiring-test", stateDir);
    jobs = harness.jobs;
    results = harness.results;
    failures = harness.failures;
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private void submit(String id, String tenant, String instruction) {
    EditJob job = EditstreamTopologyTest.job(id, instruction);
    job.setTenant(tenant);
    job.setPriority(Priority.BULK);
    harness.submit(id, job);
  }

  /** Moves the fake time and the driver's wall clock together, one punctuation at a time. */
  private void run(Duration d) {
    harness.run(clock, d);
  }

  @Test
  void shouldCallTheModelOnlyAtThePoolsRate() {
    start(QuotaLimits.perMinute(60, 1)); // 59 per 60 s from an empty start
    for (int i = 0; i < 10; i++) {
      submit("j" + i, "acme", "remove the background");
    }
    run(Duration.ofMillis(500));
    assertThat(calls).isEmpty(); // the bucket starts empty

    run(Duration.ofMillis(4_000)); // 4.5 s in: 4.425 permits

    assertThat(calls).containsExactly("j0", "j1", "j2", "j3");
    assertThat(results.readKeyValuesToList()).hasSize(4);
    assertThat(gate.share()).isEqualTo(1.0);
    assertThat(gate.queued()).isEqualTo(6);
    assertThat(meters.get("editstream.throttle.queued").tag("pool", MODEL).gauge().value())
        .isEqualTo(6.0);
  }

  @Test
  void shouldLetAnotherTenantsJobOvertakeABacklog() {
    start(QuotaLimits.perMinute(60, 1));
    for (int i = 0; i < 30; i++) {
      submit("acme-" + i, "acme", "remove the background");
    }
    run(Duration.ofMillis(3_100));
    int before = calls.size();

    submit("beta-0", "beta", "add a drop shadow");
    run(Duration.ofMillis(2_100)); // two more permits

    assertThat(calls.subList(before, calls.size())).hasSize(2).contains("beta-0");
  }

  @Test
  void shouldPauseOnA429AndRetryTheJobThroughThePool() {
    start(QuotaLimits.perMinute(600, 2)); // 9.8 per second
    submit("limited", "acme", "429 once");
    for (int i = 0; i < 5; i++) {
      submit("j" + i, "acme", "remove the background");
    }
    run(Duration.ofMillis(200)); // "limited" goes first and gets a 429 with retryDelay 5 s
    assertThat(calls).startsWith("limited");
    int afterLimit = calls.size();

    run(Duration.ofMillis(4_500));
    assertThat(calls).hasSize(afterLimit); // paused

    run(Duration.ofMillis(2_500));
    assertThat(calls).contains("j0", "j4");
    assertThat(calls.stream().filter("limited"::equals)).hasSize(2);
    EditResult limited =
        results.readValuesToList().stream()
            .filter(r -> r.getJobId().equals("limited"))
            .findFirst()
            .orElseThrow();
    assertThat(limited.getAttempts()).isEqualTo(2);
    assertThat(meters.get("editstream.throttle.rate.limited").tag("pool", MODEL).counter().count())
        .isEqualTo(1.0);
    assertThat(failures.isEmpty()).isTrue();
  }
}
