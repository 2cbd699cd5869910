package io.editstream.processor.throttle;

import static io.editstream.schema.Priority.BULK;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** One dispatching thread, two completion threads: no lost jobs, no exceptions, quota kept. */
class ThrottleConcurrencyTest {

  @Test
  void shouldStayConsistentWhenCompletionsArriveFromOtherThreads() throws Exception {
    FakeTicker ticker = new FakeTicker();
    QuotaPool pool =
        QuotaPool.builder("p", new QuotaLimits(6000, 0, 6_000_000, 0, 60))
            .ticker(ticker)
            .initialShare(1)
            .build();
    Throttle<Integer> throttle =
        new Throttle<>(pool, FairScheduler.withEqualWeights(100_000), null);
    ConcurrentLinkedQueue<Integer> completions = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService completers = Executors.newFixedThreadPool(2);
    List<Future<Integer>> corrected = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      corrected.add(
          completers.submit(
              () -> {
                int n = 0;
                while (!done.get() || !completions.isEmpty()) {
                  Integer job = completions.poll();
                  if (job != null) {
                    throttle.correct(job, 500);
                    if (job % 997 == 0) {
                      throttle.onRateLimited(Duration.ofMillis(200));
                    }
                    n++;
                  } else {
                    Thread.onSpinWait();
                  }
                }
                return n;
              }));
    }

    int submitted = 0;
    int accepted = 0;
    List<Long> dispatchTimes = new ArrayList<>();
    for (int step = 0; step < 60_000; step++) { // 60 s in 1 ms steps
      for (int i = 0; i < 3; i++) {
        if (throttle.submit(submitted, Cost.of(1, 1000), "tenant-" + submitted % 7, BULK)
            == Throttle.Submission.ACCEPTED) {
          accepted++;
        }
        submitted++;
      }
      ticker.advance(Duration.ofMillis(1));
      for (Integer job : throttle.drain()) {
        dispatchTimes.add(ticker.read());
        completions.add(job);
      }
    }
    done.set(true);
    int totalCorrected = 0;
    for (Future<Integer> f : corrected) {
      totalCorrected += f.get(30, TimeUnit.SECONDS);
    }
    completers.shutdown();

    assertThat(totalCorrected).isEqualTo(dispatchTimes.size());
    assertThat(dispatchTimes.size() + throttle.queued()).isEqualTo(accepted);
    assertThat(dispatchTimes).hasSizeGreaterThan(1000);
    assertThat(pool.snapshot().rateLimited()).isGreaterThan(0);
  }
}
