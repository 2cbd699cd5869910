package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16.1: a job is decoded once on its way, within a byte bound per task. */
class DecodedJobsTest {
  private final PlainAvroSerde<EditJob> serde = new PlainAvroSerde<>(EditJob.class);

  @Test
  void shouldDecodeAJobOnceAndServeItFromThenOn() {
    AtomicInteger decodes = new AtomicInteger();
    DecodedJobs jobs = new DecodedJobs(f -> decode(f, decodes), 1 << 20);
    byte[] frame = frame("j1");

    EditJob first = jobs.decode(frame);
    jobs.keep("j1", first, frame);

    assertThat(jobs.get("j1", frame)).isSameAs(first);
    assertThat(jobs.get("j1", frame)).isSameAs(first);
    assertThat(decodes).hasValue(1);
    assertThat(jobs.decodes()).isEqualTo(1);
  }

  @Test
  void shouldDecodeAgainFromTheFrameWhatTheByteBoundEvictedOrWhatWasForgotten() {
    AtomicInteger decodes = new AtomicInteger();
    byte[] frame = frame("j0");
    // Room for about three frames.
    DecodedJobs jobs = new DecodedJobs(f -> decode(f, decodes), frame.length * 3L + 1);
    for (int i = 0; i < 10; i++) {
      byte[] f = frame("j" + i);
      jobs.keep("j" + i, jobs.decode(f), f);
    }
    assertThat(jobs.size()).isLessThanOrEqualTo(3);

    int before = decodes.get();
    for (int i = 0; i < 10; i++) {
      assertThat(jobs.get("j" + i, frame("j" + i)).getJobId()).isEqualTo("j" + i);
    }
    assertThat(decodes.get() - before).as("evicted jobs decoded again, correctly").isPositive();

    jobs.keep("x", jobs.decode(frame("x")), frame("x"));
    jobs.forget("x");
    int beforeForgotten = decodes.get();
    jobs.get("x", frame("x"));
    assertThat(decodes.get() - beforeForgotten).isEqualTo(1);
  }

  @Test
  void shouldDecodeEachJobTwiceInTheWholeTopologyOnceToRouteItAndOnceForItsWholeWay(
      @TempDir Path stateDir) {
    AtomicInteger decodes = new AtomicInteger();
    Deserializer<EditJob> counting =
        (topic, data) -> {
          decodes.incrementAndGet();
          return serde.deserializer().deserialize(topic, data);
        };
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Map<String, Integer> attempts = new ConcurrentHashMap<>();
    // j-retry fails once (retryable), then succeeds: a second pass through quota and dispatch.
    Dispatcher dispatcher =
        (job, attempt) -> {
          int n = attempts.merge(job.getJobId(), 1, Integer::sum);
          if (job.getJobId().equals("j-retry") && n == 1) {
            return CompletableFuture.completedFuture(
                new Dispatcher.Failed(
                    Outcome.Failure.retryable(FailureCode.MODEL_UNAVAILABLE, 503, "busy", null)));
          }
          return CompletableFuture.completedFuture(TopologyHarness.produced());
        };
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_700_000_000_000L));
    JobRuntime runtime =
        TopologyHarness.runtime(
            dispatcher,
            job -> Optional.empty(),
            DispatchGate.unlimited(new InFlightLimit(8, meters), 1, meters),
            clock,
            Duration.ZERO,
            new TopologyMetrics(meters));
    try (TopologyHarness harness =
        new TopologyHarness(runtime, "decoded-jobs-test", stateDir, 1, counting)) {
      for (String id : new String[] {"j1", "j2", "j3", "j-retry"}) {
        harness.submit(id, EditstreamTopologyTest.job(id, "remove the background of " + id));
      }
      for (int i = 0; i < 10 && harness.results.getQueueSize() < 4; i++) {
        harness.round();
      }
      assertThat(harness.results.readKeyValuesToMap()).hasSize(4);
    }
    assertThat(attempts).containsEntry("j-retry", 2);
    // The decode step reads each record once to route it; the job task decodes it once for its
    // validation, queueing, dispatch, retry and outcome (the frame stays in the pending store).
    assertThat(decodes).hasValue(4 * 2);
  }

  private byte[] frame(String id) {
    return serde.serializer().serialize("jobs", EditstreamTopologyTest.job(id, "remove " + id));
  }

  private EditJob decode(byte[] frame, AtomicInteger decodes) {
    decodes.incrementAndGet();
    return serde.deserializer().deserialize("jobs", frame);
  }
}
