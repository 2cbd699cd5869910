package io.editstream.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.provider.ProviderRouter.Route;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Routing, failover and recovery with scripted providers and a fake clock: no I/O, no sleeps. */
class ProviderRouterTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T12:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ScriptedClient studio = new ScriptedClient("ai-studio", success("ai-studio"));
  private final ScriptedClient wavespeed = new ScriptedClient("wavespeed", success("wavespeed"));
  private final ProviderRouter router =
      new ProviderRouter(
          List.of(
              Route.of(studio, Pricing.perToken(0.5, 60.0)),
              Route.of(wavespeed, Pricing.perImage(0.08))),
          new FailoverPolicy(Duration.ofSeconds(10), 3, Duration.ofSeconds(30)),
          clock,
          meters);

  static Success success(String provider) {
    return new Success(
        List.of(new Outcome.GeneratedImage(new byte[] {1, 2, 3}, "image/png")),
        null,
        "m",
        new Outcome.Usage(1000, 1120, 1120, 2120),
        Duration.ofMillis(10),
        provider);
  }

  static Failure quota(Duration retryAfter) {
    return Failure.retryable(FailureCode.QUOTA_EXHAUSTED, 429, "quota", retryAfter);
  }

  static Failure unavailable() {
    return Failure.retryable(FailureCode.MODEL_UNAVAILABLE, 503, "overloaded", null);
  }

  static Failure timeout() {
    return Failure.retryable(FailureCode.MODEL_TIMEOUT, null, "timed out", null);
  }

  static ModelRequest request(String provider, String... steps) {
    return new ModelRequest(
        "gemini-3.1-flash-image-preview",
        List.of(new ModelRequest.InputPart(new byte[] {9}, "image/png")),
        "edit",
        List.of(steps),
        ImageSize.SIZE_1K,
        null,
        provider);
  }

  Outcome call() {
    return call(request(null));
  }

  Outcome call(ModelRequest r) {
    return router.generate(r).join();
  }

  double counter(String name, String... tags) {
    var c = meters.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void shouldServeFromTheFirstProviderAndPriceIt() {
    Success s = (Success) call();

    assertThat(s.provider()).isEqualTo("ai-studio");
    assertThat(s.costUsd()).isCloseTo(1000 * 0.5 / 1e6 + 1120 * 60.0 / 1e6, within(1e-12));
    assertThat(wavespeed.calls).hasValue(0);
    assertThat(counter("editstream.provider.calls", "provider", "ai-studio", "outcome", "success"))
        .isEqualTo(1);
  }

  /** The quota log's leaving hook reaches the provider's client, again on a failover. */
  @Test
  void shouldPassTheLeavingHookToEachProviderItCalls() {
    studio.then(quota(Duration.ofSeconds(60)));
    java.util.concurrent.atomic.AtomicInteger left =
        new java.util.concurrent.atomic.AtomicInteger();

    Success s = (Success) router.generate(request(null), left::incrementAndGet).join();

    assertThat(s.provider()).isEqualTo("wavespeed");
    assertThat(studio.withHook).hasValue(1);
    assertThat(wavespeed.withHook).hasValue(1);
    assertThat(left).hasValue(2);
  }

  @Test
  void shouldPricePerImageOncePerStep() {
    Success s = (Success) call(request("wavespeed", "add a shadow", "crop"));

    assertThat(s.provider()).isEqualTo("wavespeed");
    assertThat(s.costUsd()).isCloseTo(3 * 0.08, within(1e-12));
    assertThat(studio.calls).hasValue(0);
  }

  @Test
  void shouldFailOverWhenThePoolIsExhaustedAndComeBackWhenItsDelayHasPassed() {
    studio.then(quota(Duration.ofSeconds(60)));

    Success first = (Success) call();

    assertThat(first.provider()).isEqualTo("wavespeed");
    assertThat(studio.calls).hasValue(1);
    assertThat(wavespeed.calls).hasValue(1);
    assertThat(router.available("ai-studio")).isFalse();
    assertThat(counter("editstream.provider.failovers", "from", "ai-studio", "reason", "quota"))
        .isEqualTo(1);

    clock.advance(Duration.ofSeconds(30));
    assertThat(((Success) call()).provider()).isEqualTo("wavespeed");
    assertThat(studio.calls).as("an exhausted pool gets no calls").hasValue(1);

    clock.advance(Duration.ofSeconds(31));
    assertThat(router.available("ai-studio")).isTrue();
    assertThat(((Success) call()).provider()).isEqualTo("ai-studio");
  }

  @Test
  void shouldReturnShortQuotaPausesToTheRetryLoop() {
    studio.then(quota(Duration.ofSeconds(2)));

    Failure f = (Failure) call();

    assertThat(f.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(f.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(f.provider()).isEqualTo("ai-studio");
    assertThat(wavespeed.calls).hasValue(0);
    assertThat(router.available("ai-studio")).isTrue();
  }

  @Test
  void shouldNameTheProviderThatAnsweredAFailureAfterAFailover() {
    studio.then(unavailable());
    wavespeed.then(quota(Duration.ofSeconds(3)));

    Failure f = (Failure) call();

    assertThat(f.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(f.provider()).isEqualTo("wavespeed"); // its pool is the one to pause
    assertThat(studio.calls).hasValue(1);
    assertThat(wavespeed.calls).hasValue(1);
  }

  @Test
  void shouldFailOverAnOutageAtOnceAndOpenTheCircuitAfterThreeFailures() {
    studio.always(unavailable());

    for (int i = 0; i < 3; i++) {
      assertThat(((Success) call()).provider()).isEqualTo("wavespeed");
    }
    assertThat(studio.calls).hasValue(3);
    assertThat(router.available("ai-studio")).isFalse();
    assertThat(
            meters
                .get("editstream.provider.circuit.state")
                .tag("provider", "ai-studio")
                .gauge()
                .value())
        .isEqualTo(2);

    call();
    assertThat(studio.calls).as("an open circuit gets no calls").hasValue(3);
    assertThat(wavespeed.calls).hasValue(4);
  }

  @Test
  void shouldProbeAfterTheCoolDownAndSendTrafficBackWhenTheProbeSucceeds() {
    studio.always(timeout());
    // Timeouts are not re-sent elsewhere in the same call: the provider may still be working.
    for (int i = 0; i < 2; i++) {
      assertThat(((Failure) call()).code()).isEqualTo(FailureCode.MODEL_TIMEOUT);
    }
    assertThat(wavespeed.calls).hasValue(0);
    // The third timeout opens the circuit: that call moves on.
    assertThat(((Success) call()).provider()).isEqualTo("wavespeed");

    clock.advance(Duration.ofSeconds(31));
    // The probe fails: open again, and the call still gets its outcome from the next provider.
    assertThat(((Success) call()).provider()).isEqualTo("wavespeed");
    assertThat(studio.calls).hasValue(4);
    assertThat(router.available("ai-studio")).isFalse();

    clock.advance(Duration.ofSeconds(31));
    studio.always(success("ai-studio"));
    assertThat(((Success) call()).provider()).isEqualTo("ai-studio");
    assertThat(((Success) call()).provider()).isEqualTo("ai-studio");
    assertThat(
            meters
                .get("editstream.provider.circuit.state")
                .tag("provider", "ai-studio")
                .gauge()
                .value())
        .isZero();
  }

  @Test
  void shouldLetOnlyOneProbeThroughWhileHalfOpen() {
    studio.always(unavailable());
    call();
    call();
    call();
    clock.advance(Duration.ofSeconds(31));
    CompletableFuture<Outcome> probeAnswer = new CompletableFuture<>();
    studio.then(r -> probeAnswer);

    CompletableFuture<Outcome> probe = router.generate(request(null));
    Outcome meanwhile = call();

    assertThat(((Success) meanwhile).provider()).isEqualTo("wavespeed");
    assertThat(probe).isNotDone();
    probeAnswer.complete(success("ai-studio"));
    assertThat(((Success) probe.join()).provider()).isEqualTo("ai-studio");
    assertThat(router.available("ai-studio")).isTrue();
  }

  @Test
  void shouldKeepPinnedJobsOnTheirProvider() {
    studio.always(unavailable());

    Failure f = (Failure) call(request("ai-studio"));

    assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(wavespeed.calls).hasValue(0);
    assertThat(((Success) call(request("wavespeed"))).provider()).isEqualTo("wavespeed");

    Failure unknown = (Failure) call(request("openai"));
    assertThat(unknown.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(unknown.retryable()).isFalse();
    assertThat(unknown.message()).contains("editstream.provider").contains("openai");
  }

  static ModelRequest preferring(String provider) {
    ModelRequest r = request(null);
    return new ModelRequest(
        r.model(),
        r.images(),
        r.instruction(),
        r.steps(),
        r.size(),
        r.aspectRatio(),
        null,
        provider);
  }

  @Test
  void shouldStartAtThePreferredProviderAndFailOverOnlyToTheOnesAfterIt() {
    // The quota gate admitted the call to wavespeed's pool: ai-studio is not tried.
    assertThat(((Success) call(preferring("wavespeed"))).provider()).isEqualTo("wavespeed");
    assertThat(studio.calls).hasValue(0);

    // Preferring the first one still fails over to the next within the call.
    studio.then(unavailable());
    assertThat(((Success) call(preferring("ai-studio"))).provider()).isEqualTo("wavespeed");
    assertThat(studio.calls).hasValue(1);

    // With nothing after it, the preferred provider's failure is the answer.
    wavespeed.then(unavailable());
    Failure f = (Failure) call(preferring("wavespeed"));
    assertThat(f.code()).isEqualTo(FailureCode.MODEL_UNAVAILABLE);
    assertThat(studio.calls).hasValue(1);

    // An unknown preference is no preference.
    assertThat(((Success) call(preferring("openai"))).provider()).isEqualTo("ai-studio");
  }

  @Test
  void shouldTellTheQuotaGateWhichProvidersWouldTakeACall() {
    assertThat(router.admits("ai-studio")).isTrue();
    assertThat(router.admits("openai")).isFalse();
    studio.always(unavailable());
    call();
    call();
    call(); // circuit open
    assertThat(router.admits("ai-studio")).isFalse();
    clock.advance(Duration.ofSeconds(31));
    assertThat(router.admits("ai-studio")).isTrue(); // one probe may go
    CompletableFuture<Outcome> probeAnswer = new CompletableFuture<>();
    studio.then(r -> probeAnswer);
    CompletableFuture<Outcome> probe = router.generate(request("ai-studio"));
    assertThat(router.admits("ai-studio")).isFalse(); // while the probe is out
    probeAnswer.complete(success("ai-studio"));
    probe.join();
    assertThat(router.admits("ai-studio")).isTrue();

    wavespeed.then(quota(Duration.ofMinutes(5)));
    call(request("wavespeed"));
    assertThat(router.admits("wavespeed")).isFalse(); // exhausted
  }

  @Test
  void shouldAnswerWithTheTimeUntilTheFirstProviderIsBackWhenNoneIsAvailable() {
    studio.then(quota(Duration.ofSeconds(60)));
    wavespeed.then(quota(Duration.ofSeconds(40)));

    Failure f = (Failure) call();

    assertThat(f.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(f.retryable()).isTrue();
    assertThat(f.retryAfter()).isEqualTo(Duration.ofSeconds(40));

    clock.advance(Duration.ofSeconds(10));
    Failure withoutCall = (Failure) call();
    assertThat(withoutCall.retryAfter()).isEqualTo(Duration.ofSeconds(30));
    assertThat(studio.calls).hasValue(1);
    assertThat(wavespeed.calls).hasValue(1);
    assertThat(counter("editstream.provider.unavailable")).isEqualTo(1);
  }

  @Test
  void shouldFailOverBadCredentialsAtOnce() {
    studio.then(Failure.permanent(FailureCode.MODEL_AUTH, 401, null, "bad key"));

    assertThat(((Success) call()).provider()).isEqualTo("wavespeed");
    assertThat(router.available("ai-studio")).isFalse();
  }

  @Test
  void shouldFailEveryJobPermanentlyWhenEveryProviderRefusesTheCredentials() {
    studio.then(Failure.permanent(FailureCode.MODEL_AUTH, 401, null, "bad key"));
    wavespeed.then(Failure.permanent(FailureCode.MODEL_AUTH, 401, null, "bad key"));

    Failure first = (Failure) call();
    Failure later = (Failure) call();

    assertThat(first.code()).isEqualTo(FailureCode.MODEL_AUTH);
    assertThat(first.retryable()).isFalse();
    assertThat(later.code()).isEqualTo(FailureCode.MODEL_AUTH);
    assertThat(later.retryable()).as("a setting to fix, not an outage to wait out").isFalse();
    assertThat(studio.calls).hasValue(1);
    assertThat(wavespeed.calls).as("no call while the circuits are open").hasValue(1);
  }

  @Test
  void shouldReturnVerdictsOnTheJobWithoutFailover() {
    studio.then(Failure.permanent(FailureCode.IMAGE_SAFETY, 200, "IMAGE_SAFETY", "unsafe"));

    Failure f = (Failure) call();

    assertThat(f.code()).isEqualTo(FailureCode.IMAGE_SAFETY);
    assertThat(wavespeed.calls).hasValue(0);
  }

  @Test
  void shouldReturnUnreadableAnswersWithoutFailoverAndCountThemAgainstTheCircuit() {
    studio.always(Failure.permanent(FailureCode.MODEL_BAD_RESPONSE, null, null, "not JSON"));

    for (int i = 0; i < 2; i++) {
      assertThat(((Failure) call()).code()).isEqualTo(FailureCode.MODEL_BAD_RESPONSE);
    }
    assertThat(wavespeed.calls).as("a billed call is not sent elsewhere").hasValue(0);
    call();
    assertThat(router.available("ai-studio")).as("the third opens the circuit").isFalse();
  }

  @Test
  void shouldGiveExactlyOneOutcomeWhenAProviderBreaksItsContract() {
    studio.then(r -> CompletableFuture.failedFuture(new IllegalStateException("bug")));
    studio.then(
        r -> {
          throw new IllegalStateException("bug");
        });

    Outcome first = router.generate(request(null)).join();
    Outcome second = router.generate(request(null)).join();

    assertThat(first).isInstanceOf(Failure.class);
    assertThat(((Failure) first).code()).isEqualTo(FailureCode.INTERNAL);
    assertThat(second).isInstanceOf(Failure.class);
    assertThat(wavespeed.calls).hasValue(0);
  }

  @Test
  void shouldValidateRoutesAndCloseEveryClient() {
    assertThatThrownBy(
            () ->
                new ProviderRouter(
                    List.of(Route.of(studio, null), Route.of(studio, null)),
                    FailoverPolicy.defaults(),
                    clock,
                    null))
        .hasMessageContaining("listed twice");
    assertThatThrownBy(() -> new ProviderRouter(List.of(), FailoverPolicy.defaults(), clock, null))
        .hasMessageContaining("model.providers");

    router.close();
    assertThat(studio.closed).isTrue();
    assertThat(wavespeed.closed).isTrue();
  }
}
