package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.throttle.Bucket;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.schema.EditJob;
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
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable RPD count wired into the topology, on a fake clock (issue 19.4): each call a task
 * starts is counted in its changelogged {@code rpd-used} store; a processor that opens the task
 * again (a restart, a rebalance) seeds its pool with that count, so the day's quota is not spent
 * twice; a new Pacific day starts from zero and the old day's count is deleted.
 */
class RpdWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;
  private static final int RPD = 5;
  // 14:13 in Los Angeles; the next midnight there is 2023-11-15T08:00Z.
  private static final Instant START = Instant.ofEpochMilli(1_700_000_000_000L);
  private static final Instant NEXT_MIDNIGHT_PACIFIC = Instant.parse("2023-11-15T08:00:00Z");
  private static final String TODAY = "default|" + MODEL + "|2023-11-14";
  private static final String TOMORROW = "default|" + MODEL + "|2023-11-15";

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(START);
  private final AtomicLong nanos = clock.nanos;
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private TopologyHarness harness;
  private DispatchGate gate;

  /** "cached" is answered by the dedup cache at dispatch (a call that never reached the model). */
  private final Dispatcher dispatcher =
      (job, attempt) -> {
        boolean cached = job.getInstruction().equals("cached");
        if (!cached) {
          calls.add(job.getJobId());
        }
        return CompletableFuture.completedFuture(
            TopologyHarness.imageless(cached, "ck", "test", null));
      };

  /** A processor instance: a new gate and pool (nothing in memory), on the same state directory. */
  private void start() {
    gate =
        TopologyHarness.gate(clock, new QuotaLimits(0, 0, 0, RPD, 1), 8, new SimpleMeterRegistry());
    harness = new TopologyHarness(runtimeOf(gate), "rpd-wiring-test", stateDir);
  }

  private JobRuntime runtimeOf(DispatchGate gate) {
    return TopologyHarness.runtime(
        dispatcher, gate, clock, new TopologyMetrics(new SimpleMeterRegistry()));
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private void submit(String id, String instruction) {
    EditJob job = EditstreamTopologyTest.job(id, instruction);
    job.setPriority(Priority.BULK);
    harness.submit(id, job);
  }

  private void run(Duration d) {
    harness.run(clock, d);
  }

  private Map<String, Long> rpdStore() {
    return TopologyHarness.contents(harness.driver.getKeyValueStore(JobProcessor.RPD_STORE));
  }

  @Test
  void shouldCountEachStartedCallInTheTasksStoreButNotACacheHit() {
    start();
    submit("c0", "cached");
    submit("j0", "remove the background");
    submit("j1", "remove the background");
    run(Duration.ofMillis(200));

    assertThat(harness.results.readKeyValuesToMap()).containsOnlyKeys("c0", "j0", "j1");
    assertThat(rpdStore()).containsExactly(Map.entry(TODAY, 2L));
    assertThat(gate.pools().get(MODEL).get("default").buckets())
        .extractingByKey(Bucket.REQUESTS_PER_DAY)
        .extracting(QuotaPool.BucketSnapshot::usedInWindow)
        .isEqualTo(2.0);
  }

  @Test
  void shouldStartACallOnlyAtThePunctuationAfterTheOneThatCountedIt() {
    start();
    submit("j0", "remove the background");
    harness.driver.advanceWallClockTime(JobProcessor.TICK); // records the dispatch, asks to commit

    assertThat(rpdStore()).containsExactly(Map.entry(TODAY, 1L));
    assertThat(calls).as("no call before the commit that makes its count durable").isEmpty();

    harness.driver.advanceWallClockTime(JobProcessor.TICK); // after the commit: the call starts
    assertThat(calls).containsExactly("j0");
  }

  @Test
  void shouldSeedTheDayCountFromTheStoreWhenTheTaskOpensAgainAndResetAtMidnightPacific() {
    // What the changelog restores after a kill -9: three accepted jobs and five calls today.
    start();
    harness.close();
    harness = null;
    TopologyHarness.RestoredTask task = new TopologyHarness.RestoredTask();
    KeyValueStore<String, byte[]> pending = task.pending;
    KeyValueStore<String, Long> rpd = task.rpd;
    PlainAvroSerde<EditJob> jobs = new PlainAvroSerde<>(EditJob.class);
    for (int i = 0; i < 3; i++) {
      EditJob job = EditstreamTopologyTest.job("j" + i, "remove the background");
      byte[] frame = jobs.serializer().serialize("jobs", job);
      pending.put("j" + i, PendingJob.accepted(frame, START.toEpochMilli()).encode());
    }
    rpd.put(TODAY, (long) RPD);
    rpd.put("default|" + MODEL + "|2023-11-13", 7L);

    JobProcessor processor = task.open(runtimeOf(gate));
    assertThat(TopologyHarness.contents(rpd))
        .as("past days deleted")
        .containsExactly(Map.entry(TODAY, 5L));
    Punctuator tick = task.tick();
    for (int i = 0; i < 20; i++) {
      nanos.addAndGet(JobProcessor.TICK.toNanos());
      tick.punctuate(0);
    }
    assertThat(calls).as("today's quota was spent before the restart").isEmpty();
    assertThat(gate.queued()).isEqualTo(3);

    nanos.set(NEXT_MIDNIGHT_PACIFIC.plusSeconds(1).toEpochMilli() * 1_000_000);
    for (int i = 0; i < 5; i++) {
      nanos.addAndGet(JobProcessor.TICK.toNanos());
      tick.punctuate(0);
    }
    assertThat(calls).containsExactlyInAnyOrder("j0", "j1", "j2");
    assertThat(TopologyHarness.contents(rpd)).containsEntry(TOMORROW, 3L);

    nanos.addAndGet(Duration.ofSeconds(61).toNanos()); // the minute's purge forgets yesterday
    tick.punctuate(0);
    assertThat(TopologyHarness.contents(rpd)).containsExactly(Map.entry(TOMORROW, 3L));
    processor.close();
  }

  @Test
  void shouldGiveTheCountBackWhenTheTaskCloses() {
    start();
    submit("j0", "remove the background");
    submit("j1", "remove the background");
    run(Duration.ofMillis(200));
    assertThat(calls).hasSize(2);
    QuotaPool.Snapshot before = gate.pools().get(MODEL).get("default");
    assertThat(before.buckets().get(Bucket.REQUESTS_PER_DAY).usedInWindow()).isEqualTo(2.0);

    harness.close(); // the task closes: its count leaves this instance's pool with it
    harness = null;
    assertThat(
            gate.pools()
                .get(MODEL)
                .get("default")
                .buckets()
                .get(Bucket.REQUESTS_PER_DAY)
                .usedInWindow())
        .isZero();
  }
}
