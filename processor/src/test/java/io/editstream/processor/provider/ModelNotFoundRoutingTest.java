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
 * A 404 NOT_FOUND for a model (issue 19.5): one permanent MODEL_NOT_FOUND naming the setting, no
 * retry, no storm of calls, and other models on the same provider keep flowing.
 */
class ModelNotFoundRoutingTest {

  private static final String RETIRED = "gemini-3.1-flash-image-preview";
  private static final String GA = "gemini-3.1-flash-image";

  private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T12:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  /** Serves the models it is given; answers others as Google does, 404 NOT_FOUND. */
  static final class ServingClient implements ModelClient {
    final String name;
    final Set<String> served = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    ServingClient(String name, String... models) {
      this.name = name;
      served.addAll(List.of(models));
    }

    int calls(String model) {
      return calls.getOrDefault(model, new AtomicInteger()).get();
    }

    @Override
    public CompletableFuture<Outcome> generate(ModelRequest request) {
      calls.computeIfAbsent(request.model(), m -> new AtomicInteger()).incrementAndGet();
      if (served.contains(request.model())) {
        return CompletableFuture.completedFuture(ProviderRouterTest.success(name));
      }
      return CompletableFuture.completedFuture(
          Failure.permanent(
              FailureCode.MODEL_NOT_FOUND,
              404,
              null,
              "HTTP 404 NOT_FOUND: models/"
                  + request.model()
                  + " is not found for API version v1beta, or is not supported for"
                  + " generateContent."));
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
        meters);
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

  private double notFoundCount(String provider, String model) {
    var c = meters.find("editstream.model.not.found").tags("provider", provider, "model", model);
    return c.counter() == null ? 0 : c.counter().count();
  }

  @Test
  void shouldFailAModelTheProviderDoesNotServePermanentlyNamingTheSetting() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ProviderRouter router = router(studio);

    Failure f = (Failure) router.generate(request(RETIRED)).join();

    assertThat(f.code()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
    assertThat(f.retryable()).isFalse();
    assertThat(f.httpStatus()).isEqualTo(404);
    assertThat(f.message())
        .contains("'" + RETIRED + "'")
        .contains("model.default")
        .contains("model.alias.")
        .contains(GA);
    assertThat(notFoundCount("ai-studio", RETIRED)).isEqualTo(1.0);
  }

  @Test
  void shouldStopCallingForAMissingModelUntilTheCoolDownThenProbeOnce() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ProviderRouter router = router(studio);

    for (int i = 0; i < 50; i++) {
      Failure f = (Failure) router.generate(request(RETIRED)).join();
      assertThat(f.code()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
      assertThat(f.retryable()).isFalse();
    }
    assertThat(studio.calls(RETIRED)).as("one call, not a storm").isEqualTo(1);

    clock.advance(Duration.ofSeconds(31));
    router.generate(request(RETIRED)).join();
    router.generate(request(RETIRED)).join();
    assertThat(studio.calls(RETIRED)).as("one probe after the cool-down").isEqualTo(2);
    assertThat(notFoundCount("ai-studio", RETIRED)).isEqualTo(2.0);
  }

  @Test
  void shouldKeepServingOtherModelsOfTheSameProvider() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ProviderRouter router = router(studio);

    router.generate(request(RETIRED)).join();
    Outcome other = router.generate(request(GA)).join();

    assertThat(other).isInstanceOf(Success.class);
    assertThat(router.available("ai-studio")).as("the circuit stays closed").isTrue();
  }

  @Test
  void shouldServeTheModelAgainOnceTheProviderHasIt() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ProviderRouter router = router(studio);
    router.generate(request(RETIRED)).join();

    studio.served.add(RETIRED);
    clock.advance(Duration.ofSeconds(31));

    assertThat(router.generate(request(RETIRED)).join()).isInstanceOf(Success.class);
    assertThat(router.generate(request(RETIRED)).join()).isInstanceOf(Success.class);
  }

  @Test
  void shouldFailOverOnceToAProviderThatServesTheModelAndThenGoThereDirectly() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ServingClient vertex = new ServingClient("vertex", GA, RETIRED);
    ProviderRouter router = router(studio, vertex);

    for (int i = 0; i < 10; i++) {
      assertThat(router.generate(request(RETIRED)).join()).isInstanceOf(Success.class);
    }

    assertThat(studio.calls(RETIRED)).isEqualTo(1);
    assertThat(vertex.calls(RETIRED)).isEqualTo(10);
    assertThat(router.generate(request(GA)).join())
        .extracting(o -> ((Success) o).provider())
        .isEqualTo("ai-studio");
  }

  @Test
  void shouldFailPermanentlyWithoutCallsWhenNoProviderServesTheModel() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ServingClient vertex = new ServingClient("vertex", GA);
    ProviderRouter router = router(studio, vertex);

    Failure first = (Failure) router.generate(request("gemini-9-ultra")).join();
    Failure later = (Failure) router.generate(request("gemini-9-ultra")).join();

    assertThat(first.code()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
    assertThat(first.retryable()).isFalse();
    assertThat(later.code()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
    assertThat(later.retryable()).isFalse();
    assertThat(studio.calls("gemini-9-ultra") + vertex.calls("gemini-9-ultra")).isEqualTo(2);
  }

  @Test
  void shouldCapTheModelTagOfTheCounter() {
    ServingClient studio = new ServingClient("ai-studio", GA);
    ProviderRouter router = router(studio);

    for (int i = 0; i < ProviderRouter.MAX_MODEL_TAGS + 5; i++) {
      router.generate(request("typo-" + i)).join();
    }

    assertThat(notFoundCount("ai-studio", "other")).isEqualTo(5.0);
    assertThat(meters.find("editstream.model.not.found").counters())
        .hasSize(ProviderRouter.MAX_MODEL_TAGS + 1);
  }
}
