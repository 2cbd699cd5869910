package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenBucketTest {
  private final FakeTicker ticker = new FakeTicker();

  @Test
  void shouldRefillContinuouslyWithFractionalTokens() {
    TokenBucket bucket = new TokenBucket(10, 2, 0, ticker);

    ticker.advance(Duration.ofMillis(250));

    assertThat(bucket.available()).isCloseTo(0.5, within(1e-9));
    assertThat(bucket.tryAcquire(1)).isFalse();
    ticker.advance(Duration.ofMillis(250));
    assertThat(bucket.tryAcquire(1)).isTrue();
    assertThat(bucket.available()).isCloseTo(0, within(1e-9));
  }

  @Test
  void shouldNotBankMoreThanCapacityAfterLongQuietPeriod() {
    TokenBucket bucket = new TokenBucket(5, 100, 0, ticker);

    ticker.advance(Duration.ofHours(12));

    assertThat(bucket.available()).isEqualTo(5);
    int admitted = 0;
    while (bucket.tryAcquire(1)) {
      admitted++;
    }
    assertThat(admitted).isEqualTo(5);
  }

  @Test
  void shouldTakeNothingWhenNotEnoughTokens() {
    TokenBucket bucket = new TokenBucket(10, 1, 3, ticker);

    assertThat(bucket.tryAcquire(4)).isFalse();

    assertThat(bucket.available()).isEqualTo(3);
  }

  @ParameterizedTest
  @CsvSource({"0, 1, 1000", "0.5, 1, 500", "1, 1, 0", "0, 2.5, 2500"})
  void shouldTellHowLongUntilAvailable(double initial, double n, long expectedMillis) {
    TokenBucket bucket = new TokenBucket(5, 1, initial, ticker);

    assertThat(bucket.timeUntilAvailable(n)).contains(Duration.ofMillis(expectedMillis));

    ticker.advance(Duration.ofMillis(expectedMillis));
    assertThat(bucket.tryAcquire(n)).isTrue();
  }

  @Test
  void shouldSayNeverForMoreThanCapacityOrNoRefill() {
    assertThat(new TokenBucket(5, 1, 0, ticker).timeUntilAvailable(6)).isEmpty();
    assertThat(new TokenBucket(5, 0, 1, ticker).timeUntilAvailable(2)).isEmpty();
  }

  @Test
  void shouldCapRefundAtCapacity() {
    TokenBucket bucket = new TokenBucket(5, 1, 4, ticker);

    bucket.refund(3);

    assertThat(bucket.available()).isEqualTo(5);
  }

  @Test
  void shouldGoIntoDebtWhenAdjustedDownAndPayItBackByRefill() {
    TokenBucket bucket = new TokenBucket(5, 1, 1, ticker);

    bucket.adjust(-4);

    assertThat(bucket.available()).isEqualTo(-3);
    assertThat(bucket.timeUntilAvailable(1)).contains(Duration.ofSeconds(4));
    ticker.advance(Duration.ofSeconds(3));
    assertThat(bucket.tryAcquire(1)).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(bucket.tryAcquire(1)).isTrue();
  }

  @Test
  void shouldRefillPastTimeAtOldRateWhenRateChanges() {
    TokenBucket bucket = new TokenBucket(100, 1, 0, ticker);
    ticker.advance(Duration.ofSeconds(10));

    bucket.setRate(10);
    ticker.advance(Duration.ofSeconds(1));

    assertThat(bucket.available()).isCloseTo(20, within(1e-9));
  }

  @Test
  void shouldDropTokensAboveLowerCapacityAndGrantNothingOnHigher() {
    TokenBucket bucket = new TokenBucket(10, 1, 10, ticker);

    bucket.setCapacity(4);
    assertThat(bucket.available()).isEqualTo(4);

    bucket.setCapacity(20);
    assertThat(bucket.available()).isEqualTo(4);
    ticker.advance(Duration.ofSeconds(100));
    assertThat(bucket.available()).isEqualTo(20);
  }

  @Test
  void shouldIgnoreTimeGoingBackwards() {
    TokenBucket bucket = new TokenBucket(10, 1, 0, ticker);
    ticker.advance(Duration.ofSeconds(2));
    assertThat(bucket.available()).isCloseTo(2, within(1e-9));

    ticker.advance(Duration.ofSeconds(-1));

    assertThat(bucket.available()).isCloseTo(2, within(1e-9));
  }

  @Test
  void shouldRejectBadArgumentsNamingTheField() {
    assertThatThrownBy(() -> new TokenBucket(-1, 1, 0, ticker)).hasMessageContaining("capacity");
    assertThatThrownBy(() -> new TokenBucket(1, Double.NaN, 0, ticker))
        .hasMessageContaining("ratePerSecond");
    assertThatThrownBy(() -> new TokenBucket(1, 1, 2, ticker))
        .hasMessageContaining("initialTokens must be <= capacity");
    TokenBucket bucket = new TokenBucket(1, 1, 0, ticker);
    assertThatThrownBy(() -> bucket.tryAcquire(-1)).hasMessageContaining("n must be");
    assertThatThrownBy(() -> bucket.refund(-1)).hasMessageContaining("n must be");
    assertThatThrownBy(() -> bucket.setRate(-1)).hasMessageContaining("ratePerSecond");
  }
}
