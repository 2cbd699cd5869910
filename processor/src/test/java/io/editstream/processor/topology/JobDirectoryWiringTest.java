package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.schema.FailureCode;
import io.editstream.schema.OutputImage;
import io.editstream.schema.TokenUsage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's state as {@code GET /jobs} reads it from the {@link JobDirectory}, wired into the
 * topology on a fake clock: waiting for quota, in flight, backing off after a retryable failure
 * (with its error, attempt count and next attempt time), in flight again, and gone from the
 * directory with its outcome; a closed task's jobs are no longer answered by this instance.
 */
class JobDirectoryWiringTest {

  @TempDir Path stateDir;

  private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, CompletableFuture<Dispatcher.Attempt>> calls =
      new ConcurrentHashMap<>();
  private TopologyHarness harness;
  private JobDirectory directory;
  private boolean closed;

  private final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return Instant.ofEpochMilli(millis.get());
        }
      };

  /** Each call waits for the test to answer it; a new call replaces the answered one. */
  private final Dispatcher dispatcher =
      (job, attempt) -> {
        CompletableFuture<Dispatcher.Attempt> call = new CompletableFuture<>();
        calls.put(job.getJobId(), call);
        return call;
      };

  @BeforeEach
  void setUp() {
    JobRuntime runtime =
        TopologyHarness.runtime(
            dispatcher,
            job -> Optional.empty(),
            // One call at a time: the second job waits for a slot.
            DispatchGate.unlimited(new InFlightLimit(1, meters), 1, meters),
            clock,
            Duration.ZERO, // no backoff of its own: the 503's retry delay (10 s) decides
            new TopologyMetrics(meters));
    directory = runtime.jobs();
    harness = new TopologyHarness(runtime, "job-directory-test", stateDir);
  }

  @AfterEach
  void tearDown() {
    if (!closed) {
      harness.close();
    }
  }

  @Test
  void shouldTrackEachJobsStateUntilItsOutcome() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    harness.submit("j2", EditstreamTopologyTest.job("j2", "remove the background"));
    tick();

    LiveJob j1 = directory.find("j1").orElseThrow();
    assertThat(j1.state()).isEqualTo(JobState.IN_FLIGHT);
    assertThat(j1.attempts()).isEqualTo(1);
    assertThat(j1.sku()).isEqualTo("SKU-j1");
    assertThat(directory.find("j2").orElseThrow().state())
        .as("one slot, taken by j1")
        .isEqualTo(JobState.WAITING_FOR_QUOTA);

    advance(Duration.ofSeconds(3));
    calls
        .get("j1")
        .complete(
            new Dispatcher.Failed(
                Outcome.Failure.retryable(
                    FailureCode.MODEL_UNAVAILABLE, 503, "overloaded", Duration.ofSeconds(10)),
                1));
    tick();

    LiveJob backingOff = directory.find("j1").orElseThrow();
    assertThat(backingOff.state()).isEqualTo(JobState.BACKING_OFF);
    assertThat(backingOff.lastError()).isEqualTo("MODEL_UNAVAILABLE: overloaded");
    assertThat(backingOff.attempts()).isEqualTo(1);
    assertThat(backingOff.nextAttemptAtMs()).isEqualTo(millis.get() + 10_000);
    assertThat(backingOff.sinceMs()).isEqualTo(millis.get());
    assertThat(directory.find("j2").orElseThrow().state())
        .as("the freed slot goes to j2")
        .isEqualTo(JobState.IN_FLIGHT);

    advance(Duration.ofSeconds(10));
    calls.get("j2").complete(produced());
    tick();
    assertThat(directory.find("j2")).as("finished: gone from the directory").isEmpty();
    LiveJob again = directory.find("j1").orElseThrow();
    assertThat(again.state()).isEqualTo(JobState.IN_FLIGHT);
    assertThat(again.attempts()).isEqualTo(2);
    assertThat(again.lastError()).as("kept until the job ends").isNotNull();
    assertThat(directory.bySku("SKU-j1", "acme")).extracting(LiveJob::jobId).containsExactly("j1");
    assertThat(directory.bySku("SKU-j1", "other")).isEmpty();

    calls.get("j1").complete(produced());
    tick();
    assertThat(directory.size()).isZero();
    assertThat(harness.results.readKeyValuesToMap().keySet()).containsOnly("j1", "j2");
  }

  @Test
  void shouldForgetATasksJobsWhenTheTaskCloses() {
    harness.submit("j1", EditstreamTopologyTest.job("j1", "remove the background"));
    tick();
    assertThat(directory.find("j1")).isPresent();

    harness.close();
    closed = true;

    assertThat(directory.find("j1")).as("its next owner answers for it").isEmpty();
  }

  private void advance(Duration d) {
    millis.addAndGet(d.toMillis());
  }

  private void tick() {
    harness.round();
  }

  private static Dispatcher.Produced produced() {
    return new Dispatcher.Produced(
        List.of(
            OutputImage.newBuilder()
                .setUri("file:///blobs/abc.png")
                .setSha256("ab".repeat(32))
                .setMimeType("image/png")
                .setWidth(1024)
                .setHeight(1024)
                .setSizeBytes(1234)
                .build()),
        "done",
        TopologyHarness.MODEL,
        "v1",
        new TokenUsage(100, 1120, 1120, 1220),
        Duration.ofMillis(5),
        false,
        "ck",
        "test",
        null);
  }
}
