package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Latency waits hold no thread: 200 requests in flight at once all finish in about one latency. */
class ConcurrencyTest {

  static final int CALLS = 200;

  @Test
  void shouldHoldTwoHundredRequestsInFlightAtOnce() {
    // Long enough that all 200 arrive before the first is due, even on a busy 2-core machine
    // (at 1 s, a CI run at load 15 saw 196 at once: the first answers left before the last came).
    long latencyMs = 3000;
    try (Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults().withLatencyMeanMs(latencyMs).withLatencySigma(0))) {
      // 512 px outputs take exactly latencyMeanMs (no size factor).
      ObjectNode body = Http.editBody("same edit for all");
      body.putObject("generationConfig").putObject("imageConfig").put("imageSize", "512");
      // Open the client's connections first, so the measured round is about waiting.
      round(Http.generate(emulator, body, Directives.HEADER, "slow=300"));
      emulator.resetStats();

      long start = System.nanoTime();
      List<HttpResponse<String>> responses = round(Http.generate(emulator, body));
      long tookMs = (System.nanoTime() - start) / 1_000_000;

      assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
      EmulatorStats stats = emulator.stats();
      assertThat(stats.answers(200)).isEqualTo(CALLS);
      assertThat(stats.peakConcurrent()).isEqualTo(CALLS);
      assertThat(stats.currentConcurrent()).isZero();
      // Sanity only: one latency plus slack, far below 200 sequential latencies.
      assertThat(tookMs).isLessThan(latencyMs * 5);
    }
  }

  private static List<HttpResponse<String>> round(HttpRequest request) {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < CALLS; i++) {
      calls.add(Http.sendAsync(request));
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }
}
