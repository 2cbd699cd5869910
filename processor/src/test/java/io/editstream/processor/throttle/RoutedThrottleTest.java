package io.editstream.processor.throttle;

import static io.editstream.schema.Priority.BULK;
import static io.editstream.schema.Priority.INTERACTIVE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.throttle.RoutedThrottle.Grant;
import io.editstream.processor.throttle.RoutedThrottle.Route;
import io.editstream.processor.throttle.Throttle.Submission;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Admission over several providers' pools, on a fake ticker (runs in microseconds). */
class RoutedThrottleTest {
  private static final Cost ONE = Cost.of(1, 1290);
  private final FakeTicker ticker = new FakeTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Set<String> down = new HashSet<>();
  private QuotaPool primary;
  private QuotaPool secondary;

  /** primary: 600 RPM, burst 6; secondary: 300 RPM, burst 3; both at a full share. */
  private RoutedThrottle<String> throttle() {
    return throttle(QuotaLimits.perMinute(600, 6), QuotaLimits.perMinute(300, 3));
  }

  private RoutedThrottle<String> throttle(QuotaLimits first, QuotaLimits second) {
    primary = pool("ai-studio", first);
    secondary = pool("vertex", second);
    return new RoutedThrottle<>(
        "flash",
        List.of(new Route("ai-studio", primary), new Route("vertex", secondary)),
        provider -> !down.contains(provider),
        () -> FairScheduler.withEqualWeights(50_000),
        registry);
  }

  private QuotaPool pool(String provider, QuotaLimits limits) {
    return QuotaPool.builder("flash", limits)
        .provider(provider)
        .ticker(ticker)
        .initialShare(1)
        .meterRegistry(registry)
        .build();
  }

  private static Map<String, Long> byRoute(List<Grant<String>> grants) {
    return grants.stream().collect(Collectors.groupingBy(Grant::route, Collectors.counting()));
  }

  @Test
  void shouldFillThePrimaryFirstAndOverflowToTheSecondary() {
    RoutedThrottle<String> throttle = throttle();
    for (int i = 0; i < 20; i++) {
      assertThat(throttle.submit("j" + i, ONE, "t", BULK, null)).isEqualTo(Submission.ACCEPTED);
    }
    ticker.advance(Duration.ofMinutes(5)); // both buckets full: 6 and 3

    List<Grant<String>> grants = throttle.drain(100);

    // In queue order: the primary's burst first, then the overflow.
    assertThat(grants).hasSize(9);
    assertThat(grants.subList(0, 6)).allMatch(g -> g.route().equals("ai-studio"));
    assertThat(grants.subList(6, 9)).allMatch(g -> g.route().equals("vertex"));
    assertThat(grants.stream().map(Grant::job))
        .containsExactly("j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8");
    assertThat(throttle.queued()).isEqualTo(11);
  }

  @Test
  void shouldAdmitTheSumOfBothPoolsOverASaturatedBacklog() {
    RoutedThrottle<String> throttle = throttle();
    for (int i = 0; i < 5_000; i++) {
      throttle.submit("j" + i, ONE, "t", BULK, null);
    }
    List<Grant<String>> grants = new ArrayList<>();
    // Drain at every wake-up for two minutes, as the gate's pump does.
    long end = ticker.read() + Duration.ofMinutes(2).toNanos();
    while (ticker.read() < end) {
      grants.addAll(throttle.drain(Integer.MAX_VALUE));
      long wait = throttle.nextWakeup().orElseThrow().toNanos();
      ticker.advanceNanos(Math.max(wait, 1_000));
    }

    Map<String, Long> used = byRoute(grants);
    // Each pool gives (limit - burst) per 60 s window from an empty start, so about 2 windows of
    // each: 1188 + 594, never more than the limits allow in two windows.
    assertThat(used.get("ai-studio")).isBetween(1_150L, 1_200L);
    assertThat(used.get("vertex")).isBetween(570L, 600L);
    assertThat(primary.snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).usedInWindow())
        .isLessThanOrEqualTo(600);
    assertThat(secondary.snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).usedInWindow())
        .isLessThanOrEqualTo(300);
    assertThat(throttle.admittedByRoute())
        .containsEntry("ai-studio", used.get("ai-studio"))
        .containsEntry("vertex", used.get("vertex"));
    assertThat(
            registry
                .get("editstream.throttle.admitted")
                .tags("pool", "flash", "provider", "vertex")
                .counter()
                .count())
        .isEqualTo(used.get("vertex").doubleValue());
  }

  @Test
  void shouldSkipAProviderThatIsNotAvailable() {
    RoutedThrottle<String> throttle = throttle();
    for (int i = 0; i < 10; i++) {
      throttle.submit("j" + i, ONE, "t", BULK, null);
    }
    ticker.advance(Duration.ofMinutes(5));
    down.add("ai-studio"); // circuit open, or exhausted by the router

    List<Grant<String>> grants = throttle.drain(100);

    assertThat(grants).hasSize(3).allMatch(g -> g.route().equals("vertex"));
    assertThat(primary.snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).usedInWindow())
        .isZero();

    down.clear(); // back: the primary's tokens were kept for it
    assertThat(byRoute(throttle.drain(100))).containsEntry("ai-studio", 6L);
  }

  @Test
  void shouldNotAdmitAnythingWhenEveryProviderIsDown() {
    RoutedThrottle<String> throttle = throttle();
    throttle.submit("j0", ONE, "t", BULK, null);
    ticker.advance(Duration.ofMinutes(5));
    down.add("ai-studio");
    down.add("vertex");

    assertThat(throttle.drain(100)).isEmpty();
    assertThat(throttle.nextWakeup()).isEmpty();
    assertThat(throttle.queued()).isEqualTo(1);
  }

  @Test
  void shouldOverflowWhileThePrimaryIsPausedByA429() {
    RoutedThrottle<String> throttle = throttle();
    for (int i = 0; i < 20; i++) {
      throttle.submit("j" + i, ONE, "t", BULK, null);
    }
    ticker.advance(Duration.ofMinutes(5));
    throttle.onRateLimited("ai-studio", Duration.ofSeconds(30));

    assertThat(throttle.drain(100)).hasSize(3).allMatch(g -> g.route().equals("vertex"));
    assertThat(primary.snapshot().rateLimited()).isEqualTo(1);
    assertThat(secondary.snapshot().rateLimited()).isZero();
  }

  @Test
  void shouldAdmitAPinnedJobOnlyByItsProvidersPool() {
    RoutedThrottle<String> throttle = throttle();
    ticker.advance(Duration.ofMinutes(5));
    for (int i = 0; i < 6; i++) {
      throttle.submit("free" + i, ONE, "t", BULK, null); // uses up the primary
    }
    assertThat(throttle.drain(100)).hasSize(6).allMatch(g -> g.route().equals("ai-studio"));
    throttle.submit("pinned", ONE, "t", BULK, "ai-studio");

    // The secondary has room, but the job asked for the primary.
    assertThat(throttle.drain(100)).isEmpty();
    ticker.advance(Duration.ofSeconds(1)); // the primary refills ~10 per second
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("pinned", "ai-studio"));
  }

  @Test
  void shouldNotLetAJobPinnedToAnExhaustedProviderHoldUpTheQueue() {
    RoutedThrottle<String> throttle = throttle();
    ticker.advance(Duration.ofMinutes(5));
    throttle.onRateLimited("ai-studio", Duration.ofHours(1)); // RPD spent
    throttle.submit("pinned", ONE, "t", INTERACTIVE, "ai-studio");
    for (int i = 0; i < 3; i++) {
      throttle.submit("free" + i, ONE, "t", BULK, null);
    }

    List<Grant<String>> grants = throttle.drain(100);

    assertThat(grants)
        .containsExactly(
            new Grant<>("free0", "vertex"),
            new Grant<>("free1", "vertex"),
            new Grant<>("free2", "vertex"));
    assertThat(throttle.queued()).isEqualTo(1); // the pinned job waits in its own lane
    ticker.advance(Duration.ofHours(1).plusSeconds(1));
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("pinned", "ai-studio"));
  }

  @Test
  void shouldKeepInteractiveBeforeBulkAcrossLanes() {
    RoutedThrottle<String> throttle = throttle();
    throttle.submit("bulk-free", ONE, "t", BULK, null);
    throttle.submit("bulk-pinned", ONE, "t", BULK, "ai-studio");
    throttle.submit("urgent-pinned", ONE, "t", INTERACTIVE, "ai-studio");
    throttle.submit("urgent-free", ONE, "t", INTERACTIVE, null);
    ticker.advance(Duration.ofMinutes(5));

    List<String> order = throttle.drain(100).stream().map(Grant::job).toList();

    assertThat(order).containsExactly("urgent-pinned", "urgent-free", "bulk-free", "bulk-pinned");
  }

  @Test
  void shouldNotLetALaterJobTakeAPoolThatAnEarlierEligibleJobWaitsFor() {
    // Primary 600 RPM with a burst of 6; a 4-image job needs 4 of its IPM tokens.
    RoutedThrottle<String> throttle =
        throttle(new QuotaLimits(600, 600, 0, 0, 6), new QuotaLimits(300, 300, 0, 0, 3));
    ticker.advance(Duration.ofMinutes(5));
    Cost big = Cost.of(5, 100);
    throttle.submit("fill", Cost.of(3, 100), "t", BULK, "ai-studio");
    assertThat(throttle.drain(100)).hasSize(1); // primary: 3 IPM tokens left
    throttle.submit("big", big, "t", BULK, "ai-studio");
    throttle.submit("small", Cost.of(1, 100), "t", BULK, null);

    // small may not take the primary's tokens from big (earlier), but may use the secondary.
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("small", "vertex"));
    ticker.advance(Duration.ofMillis(250)); // +2.5 IPM tokens on the primary
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("big", "ai-studio"));
  }

  @Test
  void shouldNotPromiseAWakeUpForAJobThatMustLetAnEarlierOneGoFirst() {
    RoutedThrottle<String> throttle =
        throttle(new QuotaLimits(600, 600, 0, 0, 6), new QuotaLimits(300, 300, 0, 0, 3));
    ticker.advance(Duration.ofMinutes(5));
    down.add("vertex");
    throttle.submit("fill", Cost.of(3, 100), "t", BULK, null);
    assertThat(throttle.drain(100)).hasSize(1); // primary: 3 IPM tokens left
    throttle.submit("big", Cost.of(5, 100), "t", BULK, "ai-studio");
    throttle.submit("small", Cost.of(1, 100), "t", BULK, null); // would fit, but comes later

    assertThat(throttle.drain(100)).isEmpty();
    Duration wakeUp = throttle.nextWakeup().orElseThrow();
    assertThat(wakeUp).isEqualTo(primary.nextAvailable(Cost.of(5, 100)).orElseThrow());
    assertThat(wakeUp).isPositive();
    ticker.advance(wakeUp);
    assertThat(throttle.drain(100)).first().isEqualTo(new Grant<>("big", "ai-studio"));
  }

  @Test
  void shouldChargeCorrectionsAndRefundsToTheAdmittingPool() {
    RoutedThrottle<String> throttle =
        throttle(new QuotaLimits(600, 0, 600_000, 0, 6), new QuotaLimits(300, 0, 300_000, 0, 3));
    ticker.advance(Duration.ofMinutes(5));
    for (int i = 0; i < 7; i++) {
      throttle.submit("j" + i, Cost.of(1, 1_000), "t", BULK, null);
    }
    List<Grant<String>> grants = throttle.drain(100);
    assertThat(grants.get(6)).isEqualTo(new Grant<>("j6", "vertex"));
    double primaryTokens = tokens(primary);
    double secondaryTokens = tokens(secondary);

    throttle.correct("j6", 200); // over-estimated by 800 on the secondary
    assertThat(tokens(secondary)).isEqualTo(secondaryTokens + 800);
    assertThat(tokens(primary)).isEqualTo(primaryTokens);

    double primaryRequests = requests(primary);
    double secondaryRequests = requests(secondary);
    throttle.refund("j0"); // a cache hit: never reached the primary
    assertThat(requests(primary)).isEqualTo(primaryRequests + 1);
    assertThat(requests(secondary)).isEqualTo(secondaryRequests);
  }

  @Test
  void shouldChargeTheServingPoolAfterTheFactWhenTheCallWasMovedThere() {
    RoutedThrottle<String> throttle =
        throttle(new QuotaLimits(600, 0, 600_000, 0, 6), new QuotaLimits(300, 0, 300_000, 0, 3));
    ticker.advance(Duration.ofMinutes(5));
    throttle.submit("j", Cost.of(1, 1_000), "t", BULK, null);
    assertThat(throttle.drain(1)).containsExactly(new Grant<>("j", "ai-studio"));
    double primaryRequests = requests(primary);
    double secondaryRequests = requests(secondary);
    double secondaryTokens = tokens(secondary);

    throttle.reroute("j", "vertex"); // the router failed over from ai-studio to vertex

    assertThat(requests(primary)).isEqualTo(primaryRequests); // the call reached it first
    assertThat(requests(secondary)).isEqualTo(secondaryRequests - 1);
    assertThat(tokens(secondary)).isEqualTo(secondaryTokens - 1_000);
    throttle.correct("j", 10); // the record is over: no correction to the wrong pool
    assertThat(tokens(secondary)).isEqualTo(secondaryTokens - 1_000);
    assertThat(tokens(primary)).isEqualTo(600_000 * 6 / 600 - 1_000);
  }

  @Test
  void shouldRejectWhatNoEligiblePoolCouldEverAdmit() {
    RoutedThrottle<String> throttle =
        throttle(new QuotaLimits(600, 60, 0, 0, 6), new QuotaLimits(300, 600, 0, 0, 3));
    Cost huge = Cost.of(100, 100); // over half of the primary's 60 IPM, fine for the secondary

    assertThat(throttle.submit("pinned", huge, "t", BULK, "ai-studio"))
        .isEqualTo(Submission.TOO_LARGE);
    assertThat(throttle.submit("free", huge, "t", BULK, null)).isEqualTo(Submission.ACCEPTED);
    ticker.advance(Duration.ofMinutes(5));
    // The secondary's bucket grows for the large cost once it is asked, and fills at its rate.
    assertThat(throttle.drain(100)).isEmpty();
    ticker.advance(Duration.ofSeconds(20));
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("free", "vertex"));
  }

  @Test
  void shouldTreatAnUnknownProviderAsNoPreference() {
    RoutedThrottle<String> throttle = throttle();
    assertThat(throttle.submit("j", ONE, "t", BULK, "nobody")).isEqualTo(Submission.ACCEPTED);
    ticker.advance(Duration.ofMinutes(5));
    assertThat(throttle.drain(100)).containsExactly(new Grant<>("j", "ai-studio"));
  }

  @Test
  void shouldCancelDeduplicateAndShareAcrossEveryPool() {
    RoutedThrottle<String> throttle = throttle();
    assertThat(throttle.submit("a", ONE, "t", BULK, "vertex")).isEqualTo(Submission.ACCEPTED);
    assertThat(throttle.submit("a", ONE, "t", BULK, null)).isEqualTo(Submission.DUPLICATE);
    assertThat(throttle.cancel("a")).isTrue();
    assertThat(throttle.cancel("a")).isFalse();
    assertThat(throttle.queued()).isZero();

    throttle.setShare(0.25);
    assertThat(primary.share()).isEqualTo(0.25);
    assertThat(secondary.share()).isEqualTo(0.25);
  }

  @Test
  void shouldWakeUpWhenTheEarliestEligiblePoolHasRoom() {
    RoutedThrottle<String> throttle = throttle();
    throttle.submit("j", ONE, "t", BULK, null);
    // Both start empty; the primary refills twice as fast as the secondary.
    Duration primaryWait = primary.nextAvailable(ONE).orElseThrow();
    assertThat(throttle.nextWakeup()).contains(primaryWait);
    down.add("ai-studio");
    assertThat(throttle.nextWakeup()).contains(secondary.nextAvailable(ONE).orElseThrow());
  }

  @Test
  void shouldRefuseDuplicateRouteNames() {
    QuotaPool a = pool("x", QuotaLimits.perMinute(60, 1));
    assertThatThrownBy(
            () ->
                new RoutedThrottle<String>(
                    "flash",
                    List.of(new Route("x", a), new Route("x", a)),
                    p -> true,
                    () -> FairScheduler.withEqualWeights(10),
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'x' is listed twice");
  }

  private static double tokens(QuotaPool pool) {
    return pool.snapshot().buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available();
  }

  private static double requests(QuotaPool pool) {
    return pool.snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).available();
  }
}
