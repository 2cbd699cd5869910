package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.schema.EditJob;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota history wired into the topology, on a fake clock (issue 17): a task writes its
 * instance's admissions per second into its changelogged {@code quota-history} store with each
 * dispatch, before the call starts; a processor that opens the task again (a restart after a kill)
 * restores it into its pool, which then makes up what the gap left unused without ever putting more
 * than the limit into a 60 s window.
 */
class QuotaHistoryWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;
  private static final long RPM = 300;
  private static final Instant START = Instant.ofEpochMilli(1_700_000_000_000L);

  @TempDir Path stateDir;

  private final FakeTime clock = new FakeTime(START);
  private final AtomicLong nanos = clock.nanos;

  /** Each model call: when it started (fake nanos). */
  private final List<Long> calls = new CopyOnWriteArrayList<>();

  private TopologyHarness harness;

  private final Dispatcher dispatcher =
      (job, attempt) -> {
        calls.add(nanos.get());
        return CompletableFuture.completedFuture(TopologyHarness.imageless());
      };

  private DispatchGate gate() {
    return TopologyHarness.gate(
        clock, QuotaLimits.perMinute(RPM, 5), 16, new SimpleMeterRegistry());
  }

  private JobRuntime runtime(DispatchGate gate) {
    return TopologyHarness.runtime(
        dispatcher, gate, clock, new TopologyMetrics(new SimpleMeterRegistry()));
  }

  /** A processor instance: a new gate and pool (nothing in memory). */
  private DispatchGate start() {
    DispatchGate gate = gate();
    harness = new TopologyHarness(runtime(gate), "quota-history-wiring-test", stateDir);
    return gate;
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private void submit(int from, int to) {
    for (int i = from; i < to; i++) {
      EditJob job = EditstreamTopologyTest.job("j" + i, "remove the background " + i);
      job.setPriority(Priority.BULK);
      harness.submit("j" + i, job);
    }
  }

  private void tick() {
    harness.run(clock, JobProcessor.TICK);
  }

  private long historySum() {
    KeyValueStore<String, Long> store = harness.driver.getKeyValueStore(JobProcessor.HISTORY_STORE);
    long sum = 0;
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        sum += it.next().value;
      }
    }
    return sum;
  }

  @Test
  void shouldWriteEveryCallIntoTheHistoryBeforeItStarts() {
    start();
    submit(0, 40);
    List<long[]> checks = new ArrayList<>();
    for (long i = 0; i < ticks(Duration.ofSeconds(5)); i++) { // the bucket admits ~50 of them
      tick();
      checks.add(new long[] {calls.size(), historySum()});
    }

    assertThat(calls).hasSizeGreaterThan(20);
    assertThat(checks)
        .as("[calls started, admissions written down] at every tick")
        .allSatisfy(c -> assertThat(c[0]).isLessThanOrEqualTo(c[1]));
  }

  @Test
  void shouldMakeUpTheGapOfAKillFromTheHistoryTheTasksKept() {
    DispatchGate first = start();
    submit(0, 800);
    for (long i = 0; i < ticks(Duration.ofSeconds(30)); i++) { // the bucket's pace: ~147 calls
      tick();
    }
    int beforeKill = calls.size();
    // What the changelog restores after a kill -9: the task's stores as last written.
    Map<String, byte[]> pending =
        TopologyHarness.contents(harness.driver.getKeyValueStore(JobProcessor.PENDING_STORE));
    Map<String, Long> history =
        TopologyHarness.contents(harness.driver.getKeyValueStore(JobProcessor.HISTORY_STORE));
    harness.close();
    harness = null;
    nanos.addAndGet(Duration.ofSeconds(10).toNanos());

    TopologyHarness.RestoredTask task = new TopologyHarness.RestoredTask();
    pending.forEach(task.pending::put);
    history.forEach(task.history::put);
    DispatchGate restartedGate = gate();
    JobProcessor restarted = task.open(runtime(restartedGate));
    Punctuator restartedTick = task.tick();
    for (long i = 0; i < ticks(Duration.ofSeconds(100)); i++) {
      nanos.addAndGet(JobProcessor.TICK.toNanos());
      restartedTick.punctuate(0);
    }
    restarted.close();

    assertThat(first).isNotSameAs(restartedGate);
    assertThat(beforeKill).isBetween(140, 155);
    // The bucket alone starts empty after the restart: ~4.96 calls/s for 30 + 100 s, ~645 calls.
    // The history says the windows around the gap hold room for its 10 s too (~695), which the
    // log makes up at 1.25 times the rate.
    assertThat(calls).hasSizeGreaterThan(675);
    assertThat(maxInAnyMinute()).isLessThanOrEqualTo(RPM);
  }

  /** How many ticks make {@code span}. */
  private static long ticks(Duration span) {
    return span.dividedBy(JobProcessor.TICK);
  }

  private long maxInAnyMinute() {
    List<Long> sorted = new ArrayList<>(calls);
    sorted.sort(Long::compare);
    long window = Duration.ofSeconds(60).toNanos();
    long best = 0;
    int j = 0;
    for (int i = 0; i < sorted.size(); i++) {
      while (j < sorted.size() && sorted.get(j) < sorted.get(i) + window) {
        j++;
      }
      best = Math.max(best, j - i);
    }
    return best;
  }
}
