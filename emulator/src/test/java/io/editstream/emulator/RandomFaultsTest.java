package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Each configured fault rate produces its outcome (rate 1 makes it certain). */
class RandomFaultsTest {

  private static HttpResponse<String> callWith(UnaryOperator<EmulatorConfig> rates) {
    try (Emulator emulator =
        Emulator.start(rates.apply(EmulatorConfig.defaults().withLatencyMeanMs(1)))) {
      return Http.send(Http.generate(emulator, Http.editBody("random")));
    }
  }

  @Test
  void shouldAnswerServerErrorsAtErrorRate() {
    assertThat(callWith(c -> c.withErrorRate(1)).statusCode()).isIn(500, 503);
  }

  @Test
  void shouldAnswerDeadlineExceededAtTimeoutRate() {
    HttpResponse<String> response = callWith(c -> c.withTimeoutRate(1));
    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(Http.json(response).at("/error/status").asText()).isEqualTo("DEADLINE_EXCEEDED");
  }

  @Test
  void shouldBlockAtBlockRate() {
    JsonNode body = Http.json(callWith(c -> c.withBlockRate(1)));
    assertThat(body.at("/promptFeedback/blockReason").asText()).isEqualTo("PROHIBITED_CONTENT");
    assertThat(body.has("candidates")).isFalse();
  }

  @Test
  void shouldFilterImagesAtImageSafetyRate() {
    JsonNode body = Http.json(callWith(c -> c.withImageSafetyRate(1)));
    assertThat(body.at("/candidates/0/finishReason").asText()).isEqualTo("IMAGE_SAFETY");
    assertThat(body.at("/candidates/0/content").isMissingNode()).isTrue();
  }

  @Test
  void shouldAnswerTextOnlyAtNoImageRate() {
    JsonNode body = Http.json(callWith(c -> c.withNoImageRate(1)));
    assertThat(body.at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
    assertThat(body.at("/candidates/0/content/parts")).hasSize(1);
    assertThat(body.at("/candidates/0/content/parts/0/text").isTextual()).isTrue();
  }

  @Test
  void shouldDropConnectionsAtDropRate() {
    try (Emulator emulator =
        Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withDropRate(1))) {
      Throwable thrown =
          catchThrowable(() -> Http.send(Http.generate(emulator, Http.editBody("random"))));
      assertThat(thrown).hasRootCauseInstanceOf(IOException.class);
      assertThat(emulator.stats().dropped()).isEqualTo(1);
    }
  }

  @Test
  void shouldAnswerSlowlyAtSlowRate() {
    long start = System.nanoTime();
    HttpResponse<String> response = callWith(c -> c.withSlowRate(1).withSlowMs(300));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
  }

  @Test
  void shouldSpreadFaultsAtRoughlyTheConfiguredShare() {
    EmulatorConfig config = EmulatorConfig.defaults().withErrorRate(0.2).withSeed(99);
    int faults = 0;
    for (int i = 0; i < 10_000; i++) {
      if (new Draws(config, i, 0).fault != Draws.Fault.NONE) {
        faults++;
      }
    }
    assertThat(faults).isBetween(1_800, 2_200);
  }
}
