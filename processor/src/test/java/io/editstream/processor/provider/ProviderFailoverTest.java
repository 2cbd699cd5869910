package io.editstream.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.model.VertexModelClient;
import io.editstream.processor.model.WaveSpeedModelClient;
import io.editstream.processor.provider.ProviderRouter.Route;
import io.editstream.schema.ImageSize;
import io.editstream.testkit.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router over real providers (AI Studio, Vertex AI and WaveSpeed doors, each against its own
 * emulator over HTTP): failover when the first pool is gone and back when it returns, and an outage
 * that loses and doubles nothing. Time for quotas and the circuit comes from one fake clock.
 */
class ProviderFailoverTest {
  private static final String MODEL = "gemini-3.1-flash-image-preview";
  private static final String WAVESPEED_MODEL = "google/nano-banana-2/edit";
  private static byte[] rocket;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T12:00:00Z"));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = ProviderFailoverTest.class.getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
  }

  static ModelRequest request(String instruction) {
    return new ModelRequest(
        MODEL,
        List.of(new ModelRequest.InputPart(rocket, "image/jpeg")),
        instruction,
        List.of(),
        ImageSize.SIZE_1K,
        "1:1");
  }

  static GeminiModelClient studio(Emulator e) {
    return new GeminiModelClient(
        new GeminiModelClient.Settings("studio-key", e.baseUrl(), Duration.ofSeconds(20), 16));
  }

  static VertexModelClient vertex(Emulator e) {
    return new VertexModelClient(
        new VertexModelClient.Settings(
            "shop-prod", "global", null, e.baseUrl(), Duration.ofSeconds(20), 16),
        GoogleCredentials.create(
            new AccessToken("ya29.t", new Date(System.currentTimeMillis() + 3_600_000))));
  }

  static WaveSpeedModelClient wavespeed(Emulator e) {
    return new WaveSpeedModelClient(
        WaveSpeedModelClient.Settings.of("ws-key", e.baseUrl())
            .withTimeout(Duration.ofSeconds(20))
            .withPolling(Duration.ofMillis(5), Duration.ofMillis(40)));
  }

  ProviderRouter router(List<Route> routes) {
    return new ProviderRouter(
        routes,
        new FailoverPolicy(Duration.ofSeconds(10), 3, Duration.ofSeconds(30)),
        clock,
        meters);
  }

  static String served(Outcome o) {
    assertThat(o).isInstanceOf(Success.class);
    return ((Success) o).provider();
  }

  Outcome call(ProviderRouter r, String instruction) throws Exception {
    return r.generate(request(instruction)).get(30, TimeUnit.SECONDS);
  }

  @Test
  void shouldFailOverWhenTheFirstPoolIsSpentAndReturnWhenItRefills() throws Exception {
    try (Emulator google =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(5).withRpm(2).withClock(clock));
        Emulator ws = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
        ProviderRouter router =
            router(
                List.of(
                    Route.of(studio(google), Pricing.perToken(0.5, 60)),
                    Route.of(wavespeed(ws), Pricing.perImage(0.1))))) {
      assertThat(served(call(router, "one"))).isEqualTo("ai-studio");
      clock.advance(Duration.ofSeconds(1));
      assertThat(served(call(router, "two"))).isEqualTo("ai-studio");

      // RPM 2 is spent: Google answers 429 with retryDelay 59 s; the same call moves on.
      Success third = (Success) call(router, "three");
      assertThat(third.provider()).isEqualTo("wavespeed");
      assertThat(third.costUsd()).isEqualTo(0.1);
      assertThat(google.stats().answers(429)).isEqualTo(1);

      clock.advance(Duration.ofSeconds(20));
      assertThat(served(call(router, "four"))).isEqualTo("wavespeed");
      assertThat(google.stats().requests()).as("no calls into a spent pool").isEqualTo(3);

      clock.advance(Duration.ofSeconds(40));
      Success back = (Success) call(router, "five");
      assertThat(back.provider()).isEqualTo("ai-studio");
      assertThat(back.costUsd()).isPositive();
      assertThat(ws.stats().requestsForModel(WAVESPEED_MODEL)).isEqualTo(2);
      assertThat(
              meters
                  .get("editstream.provider.failovers")
                  .tags("from", "ai-studio", "reason", "quota")
                  .counter()
                  .count())
          .isEqualTo(1);
    }
  }

  @Test
  void shouldNeitherLoseNorDoubleAJobDuringAnOutage() throws Exception {
    int jobs = 16;
    // The first door fails every call; the second (Vertex) takes over; WaveSpeed stays idle.
    try (Emulator down =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5).withErrorRate(1.0));
        Emulator vertexEmulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(20));
        Emulator ws = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
        ProviderRouter router =
            router(
                List.of(
                    Route.of(studio(down), Pricing.perToken(0.5, 60)),
                    Route.of(vertex(vertexEmulator), Pricing.perToken(0.5, 60)),
                    Route.of(wavespeed(ws), Pricing.perImage(0.1))))) {
      List<CompletableFuture<Outcome>> calls = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        calls.add(router.generate(request("job " + i)));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (CompletableFuture<Outcome> c : calls) {
        outcomes.add(c.get(30, TimeUnit.SECONDS));
      }

      assertThat(outcomes).hasSize(jobs).allMatch(o -> o instanceof Success);
      Map<String, Long> byProvider =
          outcomes.stream()
              .collect(Collectors.groupingBy(ProviderFailoverTest::served, Collectors.counting()));
      assertThat(byProvider).containsOnlyKeys("vertex");
      // Each job made exactly one successful model call: none lost, none doubled.
      assertThat(vertexEmulator.stats().requestsForModel(MODEL)).isEqualTo(jobs);
      assertThat(vertexEmulator.stats().imagesGenerated()).isEqualTo(jobs);
      assertThat(ws.stats().requests()).isZero();
      // Calls in flight when the outage began failed over one by one; then the circuit opened.
      assertThat(down.stats().requests()).isBetween(3L, (long) jobs);
      assertThat(router.available("ai-studio")).isFalse();
    }
  }

  @Test
  void shouldSendTrafficBackAfterTheOutageEndsAndTheProbeSucceeds() throws Exception {
    Emulator google = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
    int port = google.port();
    try (Emulator ws = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
        ProviderRouter router =
            router(
                List.of(
                    Route.of(studio(google), Pricing.perToken(0.5, 60)),
                    Route.of(wavespeed(ws), Pricing.perImage(0.1))))) {
      assertThat(served(call(router, "before"))).isEqualTo("ai-studio");
      google.close(); // outage: connections refused

      for (int i = 0; i < 5; i++) {
        assertThat(served(call(router, "during " + i))).isEqualTo("wavespeed");
      }
      assertThat(router.available("ai-studio")).isFalse();

      try (Emulator restored =
          Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5).withPort(port))) {
        // A pooled connection to the dead server may fail the first probe; each cool-down
        // allows one more. Three are plenty.
        String provider = "wavespeed";
        for (int probe = 0; probe < 3 && provider.equals("wavespeed"); probe++) {
          clock.advance(Duration.ofSeconds(31));
          provider = served(call(router, "after " + probe));
        }
        assertThat(provider).isEqualTo("ai-studio");
        assertThat(served(call(router, "steady"))).isEqualTo("ai-studio");
        assertThat(restored.stats().imagesGenerated()).isGreaterThanOrEqualTo(2);
      }
    }
  }
}
