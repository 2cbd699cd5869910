package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a pool answers 429s (issue 17.2): a late 429 from admission jitter costs little and teaches
 * the pool a window margin; 429s that persist cut the rate, which then converges below a server
 * limit lower than the configured one instead of overshooting it every minute. Everything runs on a
 * fake clock against {@link Server}, a sliding 60 s window like the emulator's.
 */
class RateLimitResponseTest {
  private static final Duration WINDOW = Duration.ofMillis(60_500);
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final long MINUTE = 60 * SECOND;
  private static final Cost ONE = Cost.of(0, 0);

  private final FakeTicker ticker = new FakeTicker();
  private final long t0 = ticker.read();

  private QuotaPool pool(long rpm, long burst, SimpleMeterRegistry registry) {
    QuotaPool.Builder b =
        QuotaPool.builder("flash", QuotaLimits.perMinute(rpm, burst))
            .ticker(ticker)
            .window(WINDOW)
            .initialShare(1);
    if (registry != null) {
      b.meterRegistry(registry);
    }
    return b.build();
  }

  @Test
  void shouldCostASingleLate429OnlyItsPauseAndOneIntervalOfMarginNotACut() {
    QuotaPool pool = pool(1000, 5, null);
    Run run = new Run(pool, new Server(1000), t -> 20 * MS);
    run.until(3 * MINUTE);
    long baseline = run.accepted(2 * MINUTE, 3 * MINUTE);

    pool.onRateLimited(Duration.ofMillis(50));
    run.until(4 * MINUTE);

    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
    // The retryDelay (how long the server's window stays full) and one admission interval.
    assertThat(pool.snapshot().windowMargin().toMillis()).isEqualTo(50 + 60);
    // The old answer (x0.7, recovering 1 %/s) cost about 8 % of the next minute.
    assertThat(run.accepted(3 * MINUTE, 4 * MINUTE)).isGreaterThanOrEqualTo(baseline - 3);
  }

  @Test
  void shouldTreatTheEchoOfOneIncidentAsOneIncidentAndWidenByEach429() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    QuotaPool pool = pool(1000, 5, registry);
    ticker.advance(Duration.ofMinutes(1));

    for (int i = 0; i < 4; i++) { // calls that were on their way when the first was answered
      pool.onRateLimited(Duration.ofMillis(30));
      ticker.advance(Duration.ofMillis(200));
    }

    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
    // The first one's retryDelay and one admission interval per 429.
    assertThat(pool.snapshot().windowMargin().toMillis()).isBetween(30 + 4 * 60L, 30 + 4 * 61L);
    assertThat(registry.get("editstream.throttle.window.margin").gauge().value())
        .isCloseTo(0.272, within(0.002));
    assertThat(registry.get("editstream.throttle.rate.limited").counter().count()).isEqualTo(4);
    assertThat(pool.snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).ratePerSecond())
        .isCloseTo(995 / 60.772, within(0.01));
  }

  @Test
  void shouldLearnTheOffsetFromAStallSoThatTheSameStallLaterCausesNo429() {
    QuotaPool pool = pool(1000, 5, null);
    // Calls admitted during a stall leave together when it ends (a busy stream thread).
    long stall1 = 2 * MINUTE;
    long stall2 = 6 * MINUTE;
    long stallLength = 1_500 * MS;
    LongUnaryOperator delay =
        t -> {
          for (long s : new long[] {stall1, stall2}) {
            if (t >= s && t < s + stallLength) {
              return s + stallLength - t;
            }
          }
          return 20 * MS;
        };
    Server server = new Server(1000);
    Run run = new Run(pool, server, delay);
    run.until(stall1 + stallLength + 2 * MINUTE);

    long first429s = server.rejections.size();
    assertThat(first429s).as("the stall's calls leave the server's window late").isBetween(1L, 20L);
    long firstAt = server.rejections.get(0) - t0;
    assertThat(firstAt).isBetween(stall1 + MINUTE, stall1 + MINUTE + stallLength);
    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
    assertThat(pool.snapshot().windowMargin()).isPositive();
    // The minute after the first 429 keeps almost all of a clean minute (995 per 60.5 s).
    assertThat(run.accepted(firstAt, firstAt + MINUTE)).isGreaterThanOrEqualTo(965);

    run.until(stall2 + stallLength + 2 * MINUTE);

    assertThat(server.rejections)
        .as("the learned margin absorbs the same stall")
        .hasSize((int) first429s);
    assertThat(server.maxInWindow).isLessThanOrEqualTo(1000);
  }

  @ParameterizedTest(name = "server limit {0}")
  @ValueSource(longs = {800, 950})
  void shouldConvergeBelowALowerServerLimitWithFew429sAndThenHoldStill(long serverLimit) {
    QuotaPool pool = pool(1000, 5, null); // the server allows less than configured
    Server server = new Server(serverLimit);
    Run run = new Run(pool, server, t -> 20 * MS);
    List<Double> factors = new ArrayList<>();
    for (long m = 1; m <= 30; m++) {
      run.until(m * MINUTE);
      factors.add(pool.snapshot().rateFactor());
    }

    // The old answer (x0.7, +1 %/s to the full rate) was answered 429 every minute or two.
    assertThat(server.rejections.size()).as("429s in 30 minutes").isLessThanOrEqualTo(15);
    long lateRejections = server.rejections.stream().filter(t -> t - t0 >= 15 * MINUTE).count();
    assertThat(lateRejections).as("429s in the last 15 minutes").isZero();
    for (int m = 15; m < 30; m++) {
      long accepted = run.accepted(m * MINUTE, (m + 1) * MINUTE);
      // 95-100 % of what the server allows
      assertThat(accepted).as("minute %d", m).isBetween(serverLimit * 95 / 100, serverLimit);
    }
    List<Double> late = factors.subList(15, 30);
    double spread =
        late.stream().mapToDouble(d -> d).max().orElseThrow()
            - late.stream().mapToDouble(d -> d).min().orElseThrow();
    assertThat(spread).as("rate factor in the last 15 minutes: %s", late).isLessThan(0.02);
  }

  /**
   * side-by-side: one window after a cold start, the band of calls that reached the server late
   * brought two 429s 4 s apart. Both are jitter: the margin grows, the rate stays.
   */
  @Test
  void shouldWidenTheMarginForASecondLateIncidentNotCut() {
    QuotaPool pool = pool(1000, 5, null);
    ticker.advance(Duration.ofMinutes(1));

    pool.onRateLimited(Duration.ofMillis(146));
    ticker.advance(Duration.ofSeconds(4));
    pool.onRateLimited(Duration.ofMillis(141));

    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
    // Each incident: its retryDelay and one admission interval (~61 ms).
    assertThat(pool.snapshot().windowMargin().toMillis())
        .isBetween(146 + 141 + 120L, 146 + 141 + 124L);
  }

  @Test
  void shouldCutWhen429sComeBackTwiceWithinTwoWindowsEachAndRecoverQuicklyUpToTheCeiling() {
    QuotaPool pool = pool(1000, 5, null);
    ticker.advance(Duration.ofMinutes(1));

    pool.onRateLimited(Duration.ofMillis(40)); // jitter: no cut
    ticker.advance(Duration.ofSeconds(30));
    pool.onRateLimited(Duration.ofMillis(40)); // again: still jitter, a wider margin
    ticker.advance(Duration.ofSeconds(30));
    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
    pool.onRateLimited(Duration.ofMillis(40)); // a third time in a row: persistent

    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.7, within(1e-9));
    ticker.advance(Duration.ofSeconds(3));
    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.85, within(0.01)); // +5 %/s
    ticker.advance(Duration.ofSeconds(10));
    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.9, within(1e-9)); // the ceiling
    // Halfway up to 98 % of the rate where the 429s persisted, every two windows.
    ticker.advance(WINDOW.multipliedBy(2));
    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.94, within(0.001));
    ticker.advance(WINDOW.multipliedBy(6));
    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.975, within(0.001));
    ticker.advance(WINDOW.multipliedBy(22)); // 30 windows without a 429: forgotten
    assertThat(pool.snapshot().rateFactor()).isEqualTo(1.0);
  }

  @Test
  void shouldCutAtOnceOnALongRetryDelay() {
    QuotaPool pool = pool(1000, 5, null);
    ticker.advance(Duration.ofMinutes(1));

    pool.onRateLimited(Duration.ofSeconds(12)); // the server's window stays full for 12 s

    assertThat(pool.snapshot().rateFactor()).isCloseTo(0.7, within(1e-9));
    assertThat(pool.snapshot().windowMargin()).isZero();
    assertThat(pool.snapshot().pausedFor()).isEqualTo(Duration.ofSeconds(12));
  }

  /** The emulator's quota: at most {@code limit} calls arrived in any 60 s, else 429. */
  static final class Server {
    private final long limit;
    private final ArrayDeque<Long> window = new ArrayDeque<>();
    final List<Long> accepted = new ArrayList<>();
    final List<Long> rejections = new ArrayList<>();
    long maxInWindow;

    Server(long limit) {
      this.limit = limit;
    }

    /** Empty if accepted, else the retryDelay (until the oldest call leaves the window). */
    Long arrive(long t) {
      while (!window.isEmpty() && window.peekFirst() <= t - MINUTE) {
        window.pollFirst();
      }
      if (window.size() + 1 > limit) {
        rejections.add(t);
        return Math.max(MS, window.peekFirst() + MINUTE - t);
      }
      window.addLast(t);
      accepted.add(t);
      maxInWindow = Math.max(maxInWindow, window.size());
      return null;
    }
  }

  /**
   * A saturated pool in 10 ms steps: it admits what it can, each call reaches the server after
   * {@code delay(admittedAt)} and a 429 is reported to the pool at once.
   */
  final class Run {
    private final QuotaPool pool;
    private final Server server;
    private final LongUnaryOperator delay;
    private final PriorityQueue<Long> onTheirWay = new PriorityQueue<>();

    Run(QuotaPool pool, Server server, LongUnaryOperator delay) {
      this.pool = pool;
      this.server = server;
      this.delay = delay;
    }

    /** Runs until {@code end} nanos after the start. */
    void until(long end) {
      while (ticker.read() - t0 < end) {
        ticker.advanceNanos(10 * MS);
        long now = ticker.read();
        while (!onTheirWay.isEmpty() && onTheirWay.peek() <= now) {
          Long retry = server.arrive(onTheirWay.poll());
          if (retry != null) {
            pool.onRateLimited(Duration.ofNanos(retry));
          }
        }
        while (pool.tryAcquire(ONE).isPresent()) {
          onTheirWay.add(now + delay.applyAsLong(now - t0));
        }
      }
    }

    /** Calls the server accepted in [from, to) nanos after the start. */
    long accepted(long from, long to) {
      return server.accepted.stream().filter(t -> t - t0 >= from && t - t0 < to).count();
    }
  }
}
