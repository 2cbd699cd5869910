package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.Settlement;
import io.editstream.schema.FailureCode;
import io.editstream.schema.TokenUsage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each kind of attempt settles at the quota gate. */
class SettlementsTest {

  private static Dispatcher.Produced produced(boolean cacheHit, TokenUsage usage, String provider) {
    return new Dispatcher.Produced(
        List.of(), null, "flash", null, usage, Duration.ZERO, cacheHit, "ck", provider, 0.0);
  }

  @Test
  void shouldRefundACacheHit() {
    assertThat(Settlements.of(produced(true, new TokenUsage(0, 0, 0, 0), null)))
        .isEqualTo(Settlement.refund());
  }

  @Test
  void shouldChargeACallToTheProviderThatServedItWithTheReportedPromptTokens() {
    assertThat(Settlements.of(produced(false, new TokenUsage(500, 1120, 1120, 1620), "vertex")))
        .isEqualTo(new Settlement.Used("vertex", 500L));
    assertThat(Settlements.of(produced(false, null, null)))
        .isEqualTo(new Settlement.Used(null, null));
  }

  @Test
  void shouldRefundAttemptsRejectedBeforeTheCall() {
    assertThat(
            Settlements.of(
                new Dispatcher.Failed(
                    Outcome.Failure.permanent(
                        FailureCode.IMAGE_FETCH_FAILED, null, null, "timeout"))))
        .isEqualTo(Settlement.refund());
  }

  @Test
  void shouldNotRefundAFailureTheModelAnswered() {
    assertThat(
            Settlements.of(
                new Dispatcher.Failed(
                    Outcome.Failure.permanent(
                        FailureCode.IMAGE_FETCH_FAILED, 400, null, "model could not fetch"))))
        .isEqualTo(new Settlement.Used(null, null));
    assertThat(
            Settlements.of(
                new Dispatcher.Failed(
                    Outcome.Failure.retryable(
                        FailureCode.MODEL_UNAVAILABLE, 503, "HTTP 503", null))))
        .isEqualTo(new Settlement.Used(null, null));
  }

  @Test
  void shouldReportA429ToThePoolOfTheProviderThatAnsweredIt() {
    assertThat(
            Settlements.of(
                new Dispatcher.Failed(
                    Outcome.Failure.retryable(
                            FailureCode.QUOTA_EXHAUSTED, 429, "HTTP 429", Duration.ofSeconds(7))
                        .answeredBy("vertex"))))
        .isEqualTo(new Settlement.RateLimited("vertex", Duration.ofSeconds(7), false));
    assertThat(
            Settlements.of(
                new Dispatcher.Failed(
                    Outcome.Failure.retryable(
                        FailureCode.QUOTA_EXHAUSTED, null, "quota exhausted", null))))
        .isEqualTo(new Settlement.RateLimited(null, null, false));
  }
}
