package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Everything random is a function of the seed and the request. */
class DeterminismTest {

  private static EmulatorConfig faulty(long seed) {
    return EmulatorConfig.defaults()
        .withLatencyMeanMs(1)
        .withSeed(seed)
        .withErrorRate(0.3)
        .withTimeoutRate(0.1)
        .withBlockRate(0.1)
        .withNoImageRate(0.1);
  }

  /** Status (and block / no-image marks) of 30 distinct requests, sent one after another. */
  private static List<String> outcomes(Emulator emulator) {
    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> response =
          Http.send(Http.generate(emulator, Http.editBody("request " + i)));
      JsonNode body = Http.json(response);
      String mark =
          body.has("promptFeedback")
              ? "blocked"
              : body.at("/candidates/0/content/parts/1").isMissingNode() ? "text" : "image";
      outcomes.add(response.statusCode() + (response.statusCode() == 200 ? "/" + mark : ""));
    }
    return outcomes;
  }

  @Test
  void shouldRepeatTheFaultSequenceForTheSameSeed() {
    List<String> first;
    List<String> second;
    List<String> otherSeed;
    try (Emulator emulator = Emulator.start(faulty(7))) {
      first = outcomes(emulator);
    }
    try (Emulator emulator = Emulator.start(faulty(7))) {
      second = outcomes(emulator);
    }
    try (Emulator emulator = Emulator.start(faulty(8))) {
      otherSeed = outcomes(emulator);
    }

    assertThat(second).isEqualTo(first);
    assertThat(otherSeed).isNotEqualTo(first);
    // The rates actually produce faults, and successes.
    assertThat(first).contains("200/image").anyMatch(s -> s.startsWith("50"));
  }

  @Test
  void shouldAnswerIdenticalRequestsWithIdenticalImageBytes() {
    JsonNode body = Http.editBody("add a red border", TestImages.png(120, 80), "image/png");
    byte[] a;
    byte[] b;
    String idA;
    String idB;
    try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1))) {
      JsonNode first = Http.json(Http.send(Http.generate(emulator, body)));
      JsonNode again = Http.json(Http.send(Http.generate(emulator, body)));
      a = Http.image(first);
      assertThat(Http.image(again)).isEqualTo(a);
      idA = first.path("responseId").asText();
      // A repeat is a new draw (fresh id), as a retry would be.
      assertThat(again.path("responseId").asText()).isNotEqualTo(idA);
    }
    try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1))) {
      JsonNode first = Http.json(Http.send(Http.generate(emulator, body)));
      b = Http.image(first);
      idB = first.path("responseId").asText();
    }
    assertThat(b).isEqualTo(a);
    assertThat(idB).isEqualTo(idA);

    try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1))) {
      byte[] other =
          Http.image(
              Http.json(
                  Http.send(
                      Http.generate(
                          emulator,
                          Http.editBody(
                              "add a blue border", TestImages.png(120, 80), "image/png")))));
      assertThat(other).isNotEqualTo(a);
    }
  }

  @Test
  void shouldDrawLatenciesFromTheSeed() {
    EmulatorConfig config = EmulatorConfig.defaults().withLatencySigma(0.5).withSeed(3);
    Draws a = new Draws(config, 12345L, 0);
    Draws b = new Draws(config, 12345L, 0);
    Draws retry = new Draws(config, 12345L, 1);
    assertThat(a.latencyMillis(2800, 0.5)).isEqualTo(b.latencyMillis(2800, 0.5));
    assertThat(a.responseId).isEqualTo(b.responseId);
    assertThat(retry.responseId).isNotEqualTo(a.responseId);
  }

  @Test
  void shouldAverageTheConfiguredLatency() {
    EmulatorConfig config = EmulatorConfig.defaults().withSeed(11);
    double sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      sum += new Draws(config, i, 0).latencyMillis(2800, 0.25);
    }
    assertThat(sum / n).isBetween(2750.0, 2850.0);
    assertThat(new Draws(config, 1, 0).latencyMillis(2800, 0)).isEqualTo(2800);
  }
}
