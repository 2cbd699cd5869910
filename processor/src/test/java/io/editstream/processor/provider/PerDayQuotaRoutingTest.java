package io.editstream.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.model.ModelClient;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A 429 naming a per-day quota (issue 19.4): that model at that provider is held until midnight
 * Pacific, whatever the retryDelay says; no call for it before then, other models flow. Fake clock.
 */
class PerDayQuotaRoutingTest {
  private static final String FLASH = "gemini-3.1-flash-image";
  private static final String PRO = "gemini-3-pro-image-preview";
  private static final String PER_DAY = "GenerateRequestsPerDayPerProjectPerModel";
  private static final Instant NOON_UTC = Instant.parse("2026-05-01T12:00:00Z");
  private static final Instant MIDNIGHT_PACIFIC = Instant.parse("2026-05-02T07:00:00Z");

  private final MutableClock clock = new MutableClock(NOON_UTC);

  /**
   * Answers a per-day 429 (retryDelay 36 s, as Google may send) for the models in {@code spent}.
   */
  static class DailyLimitedClient implements ModelClient {
    final String name;
    final Set<String> spent = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    DailyLimitedClient(String name) {
      this.name = name;
    }

    int calls(String model) {
      return calls.getOrDefault(model, new AtomicInteger()).get();
    }

    @Override
    public CompletableFuture<Outcome> generate(ModelRequest request) {
      calls.computeIfAbsent(request.model(), m -> new AtomicInteger()).incrementAndGet();
      if (spent.contains(request.model())) {
        return CompletableFuture.completedFuture(
            Failure.retryable(
                    FailureCode.QUOTA_EXHAUSTED,
                    429,
                    "HTTP 429 RESOURCE_EXHAUSTED",
                    Duration.ofSeconds(36))
                .withQuotaId(PER_DAY));
      }
      return CompletableFuture.completedFuture(ProviderRouterTest.success(name));
    }

    @Override
    public String provider() {
      return name;
    }

    @Override
    public void close() {}
  }

  private ProviderRouter router(ModelClient... clients) {
    return new ProviderRouter(
        java.util.Arrays.stream(clients).map(c -> Route.of(c, Pricing.FREE)).toList(),
        new FailoverPolicy(Duration.ofSeconds(10), 3, Duration.ofSeconds(30)),
        clock,
        new SimpleMeterRegistry());
  }

  private static ModelRequest request(String model) {
    return new ModelRequest(
        model,
        List.of(new ModelRequest.InputPart(new byte[] {9}, "image/png")),
        "edit",
        List.of(),
        ImageSize.SIZE_1K,
        null,
        null);
  }

  @Test
  void shouldHoldTheModelUntilMidnightPacificWithoutFurtherCalls() {
    DailyLimitedClient studio = new DailyLimitedClient("ai-studio");
    studio.spent.add(FLASH);
    ProviderRouter router = router(studio);

    Failure first = (Failure) router.generate(request(FLASH)).join();
    assertThat(first.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
    assertThat(first.retryable()).isTrue();
    assertThat(first.perDayQuota()).isTrue();
    assertThat(first.retryAfter())
        .as("not the 36 s the server said: nothing passes before the reset")
        .isEqualTo(Duration.between(NOON_UTC, MIDNIGHT_PACIFIC));

    clock.advance(Duration.ofMinutes(1));
    for (int i = 0; i < 20; i++) {
      Failure held = (Failure) router.generate(request(FLASH)).join();
      assertThat(held.code()).isEqualTo(FailureCode.QUOTA_EXHAUSTED);
      assertThat(held.retryable()).isTrue();
      assertThat(held.httpStatus()).as("answered without a call").isNull();
      assertThat(held.retryAfter())
          .isEqualTo(Duration.between(NOON_UTC.plusSeconds(60), MIDNIGHT_PACIFIC));
    }
    assertThat(studio.calls(FLASH)).as("one call, no retry storm").isEqualTo(1);
    assertThat(router.available("ai-studio")).as("the provider itself is fine").isTrue();
  }

  @Test
  void shouldKeepOtherModelsOfTheProviderFlowing() {
    DailyLimitedClient studio = new DailyLimitedClient("ai-studio");
    studio.spent.add(FLASH);
    ProviderRouter router = router(studio);
    router.generate(request(FLASH)).join();

    assertThat(router.generate(request(PRO)).join()).isInstanceOf(Success.class);
  }

  @Test
  void shouldCallAgainAfterMidnightPacific() {
    DailyLimitedClient studio = new DailyLimitedClient("ai-studio");
    studio.spent.add(FLASH);
    ProviderRouter router = router(studio);
    router.generate(request(FLASH)).join();
    studio.spent.clear(); // Google's day rolls over

    clock.set(MIDNIGHT_PACIFIC.minusSeconds(1));
    assertThat(router.generate(request(FLASH)).join()).isInstanceOf(Failure.class);
    assertThat(studio.calls(FLASH)).isEqualTo(1);
    clock.set(MIDNIGHT_PACIFIC);
    assertThat(router.generate(request(FLASH)).join()).isInstanceOf(Success.class);
    assertThat(studio.calls(FLASH)).isEqualTo(2);
  }

  @Test
  void shouldGoToTheNextProviderWhoseDayIsNotSpent() {
    DailyLimitedClient studio = new DailyLimitedClient("ai-studio");
    studio.spent.add(FLASH);
    DailyLimitedClient vertex = new DailyLimitedClient("vertex");
    ProviderRouter router = router(studio, vertex);

    for (int i = 0; i < 5; i++) {
      assertThat(router.generate(request(FLASH)).join())
          .extracting(o -> ((Success) o).provider())
          .isEqualTo("vertex");
    }
    assertThat(studio.calls(FLASH)).isEqualTo(1);
  }

  @Test
  void shouldTreatAPerMinute429AsBefore() {
    DailyLimitedClient studio =
        new DailyLimitedClient("ai-studio") {
          @Override
          public CompletableFuture<Outcome> generate(ModelRequest request) {
            calls.computeIfAbsent(request.model(), m -> new AtomicInteger()).incrementAndGet();
            return CompletableFuture.completedFuture(
                Failure.retryable(FailureCode.QUOTA_EXHAUSTED, 429, "429", Duration.ofSeconds(2))
                    .withQuotaId("GenerateRequestsPerMinutePerProjectPerModel"));
          }
        };
    ProviderRouter router = router(studio);

    Failure f = (Failure) router.generate(request(FLASH)).join();
    router.generate(request(FLASH)).join();

    assertThat(f.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(studio.calls(FLASH)).as("a short 429 goes back to the retry loop").isEqualTo(2);
  }
}
