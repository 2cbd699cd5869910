package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuotaLimitsTest {

  @ParameterizedTest
  @CsvSource({
    "-1, 0, 0, 0, 1, rpm must be >= 0 (0 = unlimited) but was -1",
    "10, -2, 0, 0, 1, ipm must be >= 0 (0 = unlimited) but was -2",
    "10, 0, -3, 0, 1, tpm must be >= 0 (0 = unlimited) but was -3",
    "10, 0, 0, -4, 1, rpd must be >= 0 (0 = unlimited) but was -4",
    "10, 0, 0, 0, 0, burst must be >= 1 but was 0",
    "10, 0, 0, 0, 10, burst must be < rpm (10) but was 10",
  })
  void shouldRejectBadLimitsNamingTheField(
      long rpm, long ipm, long tpm, long rpd, long burst, String message) {
    assertThatThrownBy(() -> new QuotaLimits(rpm, ipm, tpm, rpd, burst))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void shouldGiveImageAndTokenBucketsTheSameBurstFractionAsRequests() {
    QuotaLimits limits = new QuotaLimits(1000, 2000, 4_000_000, 0, 10);

    assertThat(limits.burstCapacity(Bucket.REQUESTS_PER_MINUTE)).isEqualTo(10);
    assertThat(limits.burstCapacity(Bucket.IMAGES_PER_MINUTE)).isEqualTo(20);
    assertThat(limits.burstCapacity(Bucket.INPUT_TOKENS_PER_MINUTE)).isEqualTo(40_000);
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0, 0, requests must be >= 1 but was 0",
    "1, -1, 0, images must be >= 0 but was -1",
    "1, 0, -1, estimatedInputTokens must be >= 0 but was -1",
  })
  void shouldRejectBadCostsNamingTheField(int requests, int images, long tokens, String message) {
    assertThatThrownBy(() -> new Cost(requests, images, tokens)).hasMessage(message);
  }
}
