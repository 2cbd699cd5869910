package io.editstream.processor.throttle;

import static io.editstream.schema.Priority.BULK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Throttle#drain(int)} and {@link Throttle#refund}: what the topology's gate relies on. */
class ThrottleRefundTest {
  private static final Cost ONE = Cost.of(1, 1000);
  private final FakeTicker ticker = new FakeTicker();

  private Throttle<String> throttle(QuotaLimits limits) {
    QuotaPool pool = QuotaPool.builder("flash", limits).ticker(ticker).initialShare(1).build();
    return new Throttle<>(pool, FairScheduler.withEqualWeights(1_000), null);
  }

  @Test
  void shouldDrainAtMostTheFreeSlotsAndKeepTheRestQueuedWithoutCharging() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 6));
    for (int i = 0; i < 10; i++) {
      throttle.submit("j" + i, ONE, "t", BULK);
    }
    ticker.advance(Duration.ofMinutes(1)); // the bucket is full: 6 may go

    assertThat(throttle.drain(2)).containsExactly("j0", "j1");
    assertThat(throttle.drain(0)).isEmpty();
    // Only what was drained was charged: the other 4 of the burst are still there.
    assertThat(throttle.drain(10)).containsExactly("j2", "j3", "j4", "j5");
    assertThatThrownBy(() -> throttle.drain(-1)).hasMessageContaining("max");
  }

  @Test
  void shouldGiveTheRequestBackWhenACallNeverReachedTheServer() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 2));
    for (int i = 0; i < 5; i++) {
      throttle.submit("j" + i, ONE, "t", BULK);
    }
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("j0", "j1");
    assertThat(throttle.drain()).isEmpty();

    throttle.refund("j0"); // a cache hit: no quota used

    assertThat(throttle.drain()).containsExactly("j2");
    assertThat(throttle.pool().snapshot().rateLimited()).isZero();
    throttle.refund("j0"); // once only
    assertThat(throttle.drain()).isEmpty();
  }

  @Test
  void shouldRefundImagesTokensAndTheDailyCountToo() {
    Throttle<String> throttle = throttle(new QuotaLimits(600, 600, 600_000, 1_000, 2));
    throttle.submit("a", ONE, "t", BULK);
    throttle.submit("b", ONE, "t", BULK);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("a", "b");
    double tokensBefore =
        throttle.pool().snapshot().buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available();
    double dailyBefore =
        throttle.pool().snapshot().buckets().get(Bucket.REQUESTS_PER_DAY).available();

    throttle.refund("a");

    QuotaPool.Snapshot after = throttle.pool().snapshot();
    assertThat(after.buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available())
        .isEqualTo(tokensBefore + 1000);
    assertThat(after.buckets().get(Bucket.IMAGES_PER_MINUTE).available()).isEqualTo(1.0);
    assertThat(after.buckets().get(Bucket.REQUESTS_PER_DAY).available()).isEqualTo(dailyBefore + 1);
  }

  @Test
  void shouldNotRefundTokensTwiceAfterACorrection() {
    Throttle<String> throttle = throttle(new QuotaLimits(600, 0, 600_000, 0, 2));
    throttle.submit("a", ONE, "t", BULK);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("a");
    throttle.correct("a", 400); // refunds 600 tokens and ends the in-flight record
    double tokens =
        throttle.pool().snapshot().buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available();

    throttle.refund("a"); // unknown now: ignored

    assertThat(throttle.pool().snapshot().buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available())
        .isEqualTo(tokens);
  }

  @Test
  void shouldIgnoreRefundsOfCallsOlderThanTheWindow() {
    Throttle<String> throttle = throttle(QuotaLimits.perMinute(600, 2));
    throttle.submit("a", ONE, "t", BULK);
    throttle.submit("b", ONE, "t", BULK);
    throttle.submit("c", ONE, "t", BULK);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(throttle.drain()).containsExactly("a", "b");
    ticker.advance(Duration.ofSeconds(61));
    List<String> refilled = throttle.drain();
    assertThat(refilled).containsExactly("c");

    double before =
        throttle.pool().snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).available();

    throttle.refund("a"); // out of every window that matters: changes nothing

    assertThat(throttle.pool().snapshot().buckets().get(Bucket.REQUESTS_PER_MINUTE).available())
        .isEqualTo(before);
  }
}
