package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.genai.Client;
import com.google.genai.errors.ClientException;
import com.google.genai.errors.ServerException;
import com.google.genai.types.Candidate;
import com.google.genai.types.GenerateContentResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every outcome, triggered per request with markers or the directive header. */
class OutcomesTest {

  static Emulator emulator;
  static Client client;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
    client = Sdk.client(emulator, "outcomes-key");
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  @BeforeEach
  void reset() {
    emulator.resetStats();
  }

  private static GenerateContentResponse sdk(String instruction) {
    return client.models.generateContent(
        Sdk.MODEL, Sdk.edit(instruction, TestImages.png(32, 32)), null);
  }

  @Test
  void shouldBlockThePromptWithoutCandidates() {
    GenerateContentResponse response = sdk("[emulator:block=PROHIBITED_CONTENT] a knife");

    assertThat(response.candidates().map(List::isEmpty).orElse(true)).isTrue();
    assertThat(response.promptFeedback().orElseThrow().blockReason().orElseThrow().toString())
        .isEqualTo("PROHIBITED_CONTENT");
    assertThat(response.usageMetadata().orElseThrow().promptTokenCount()).isPresent();
  }

  @Test
  void shouldFinishWithImageSafetyAndNoImage() {
    GenerateContentResponse response = sdk("paint it [emulator:finish=IMAGE_SAFETY]");

    Candidate candidate = response.candidates().orElseThrow().get(0);
    assertThat(candidate.finishReason().orElseThrow().toString()).isEqualTo("IMAGE_SAFETY");
    assertThat(candidate.content().flatMap(c -> c.parts()).orElse(List.of()))
        .noneMatch(p -> p.inlineData().isPresent());
    // DESIGN §9: the SDK's parts() refuses safety finishes.
    assertThat(catchThrowable(response::parts)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldAnswerTextOnlyForNoImage() {
    GenerateContentResponse response = sdk("describe it [emulator:noimage]");

    Candidate candidate = response.candidates().orElseThrow().get(0);
    assertThat(candidate.finishReason().orElseThrow().toString()).isEqualTo("STOP");
    assertThat(response.parts()).hasSize(1);
    assertThat(response.parts().get(0).text()).isPresent();
    assertThat(emulator.stats().imagesGenerated()).isZero();
  }

  @Test
  void shouldAnswerTextOnlyWhenImageModalityIsNotRequested() {
    GenerateContentResponse response =
        client.models.generateContent(
            Sdk.MODEL,
            Sdk.edit("describe", TestImages.png(8, 8)),
            com.google.genai.types.GenerateContentConfig.builder()
                .responseModalities("TEXT")
                .build());
    assertThat(response.parts()).noneMatch(p -> p.inlineData().isPresent());
  }

  @Test
  void shouldFailWithTheRequestedServerErrors() {
    ServerException unavailable =
        catchThrowableOfType(ServerException.class, () -> sdk("x [emulator:fail=503]"));
    assertThat(unavailable.code()).isEqualTo(503);
    assertThat(unavailable.status()).isEqualTo("UNAVAILABLE");

    ServerException internal =
        catchThrowableOfType(ServerException.class, () -> sdk("x [emulator:fail=500]"));
    assertThat(internal.status()).isEqualTo("INTERNAL");

    ServerException deadline =
        catchThrowableOfType(ServerException.class, () -> sdk("x [emulator:fail=504]"));
    assertThat(deadline.status()).isEqualTo("DEADLINE_EXCEEDED");

    assertThat(emulator.stats().answersByStatus())
        .containsEntry(503, 1L)
        .containsEntry(500, 1L)
        .containsEntry(504, 1L);
  }

  @Test
  void shouldFailWithATriggered429CarryingRetryInfo() {
    ClientException e =
        catchThrowableOfType(ClientException.class, () -> sdk("x [emulator:fail=429]"));
    assertThat(e.code()).isEqualTo(429);
    assertThat(e.status()).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(e.message()).contains("retryDelay");
    assertThat(emulator.stats().rateLimited()).isEqualTo(1);
  }

  @Test
  void shouldCarryTheRetryDelayAskedForInPlaceOfTheCodesDefault() {
    ServerException unavailable =
        catchThrowableOfType(
            ServerException.class, () -> sdk("x [emulator:fail=503] [emulator:retry-delay=2500]"));
    assertThat(unavailable.code()).isEqualTo(503);
    assertThat(unavailable.message()).containsPattern("\"retryDelay\"\\s*:\\s*\"2.500s\"");

    ServerException plain =
        catchThrowableOfType(ServerException.class, () -> sdk("y [emulator:fail=503]"));
    assertThat(plain.message()).doesNotContain("retryDelay");

    ClientException quota =
        catchThrowableOfType(
            ClientException.class, () -> sdk("z [emulator:fail=429] [emulator:retry-delay=7000]"));
    assertThat(quota.message())
        .containsPattern("\"retryDelay\"\\s*:\\s*\"7s\"")
        .containsOnlyOnce("retryDelay");
  }

  @Test
  void shouldRefuseARetryDelayThatIsNotANumber() {
    HttpResponse<String> response =
        Http.send(Http.generate(emulator, Http.editBody("x [emulator:retry-delay=soon]")));
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response).at("/error/message").asText()).contains("retry-delay=soon");
  }

  @Test
  void shouldFailTheFirstTimesThenSucceed() {
    JsonNode body = Http.editBody("retry me [emulator:fail-times=2:503]");

    assertThat(Http.send(Http.generate(emulator, body)).statusCode()).isEqualTo(503);
    assertThat(Http.send(Http.generate(emulator, body)).statusCode()).isEqualTo(503);
    HttpResponse<String> third = Http.send(Http.generate(emulator, body));
    assertThat(third.statusCode()).isEqualTo(200);
    assertThat(Http.image(Http.json(third))).isNotEmpty();
  }

  @Test
  void shouldDropTheConnectionWithoutAnAnswer() {
    Throwable thrown =
        catchThrowable(() -> Http.send(Http.generate(emulator, Http.editBody("[emulator:drop]"))));
    assertThat(thrown).hasRootCauseInstanceOf(IOException.class);
    assertThat(emulator.stats().dropped()).isEqualTo(1);
    assertThat(emulator.stats().currentConcurrent()).isZero();
  }

  @Test
  void shouldAnswerSlowlyWhenAsked() {
    long start = System.nanoTime();
    HttpResponse<String> response =
        Http.send(Http.generate(emulator, Http.editBody("[emulator:slow=400] wait")));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(tookMs).isGreaterThanOrEqualTo(400);
  }

  @Test
  void shouldTakeDirectivesFromTheHeader() {
    HttpResponse<String> response =
        Http.send(
            Http.generate(emulator, Http.editBody("plain"), Directives.HEADER, "block=SAFETY"));
    assertThat(Http.json(response).at("/promptFeedback/blockReason").asText()).isEqualTo("SAFETY");
  }

  @Test
  void shouldAnswerDeadlineExceededWhenLatencyPassesTheClientsServerTimeout() {
    HttpResponse<String> response =
        Http.send(
            Http.generate(
                emulator, Http.editBody("[emulator:slow=2000] x"), "x-server-timeout", "0.2"));
    assertThat(response.statusCode()).isEqualTo(504);
  }

  @Test
  void shouldRejectAnUnknownDirectiveClearly() {
    JsonNode error =
        ValidationTest.expectError(
            Http.generate(emulator, Http.editBody("[emulator:explode]")), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).contains("explode").contains("fail=CODE");
  }

  @Test
  void shouldNotDrawTheMarkersOnTheImage() {
    JsonNode withMarker =
        Http.json(Http.send(Http.generate(emulator, Http.editBody("tint [emulator:slow=1]"))));
    JsonNode without = Http.json(Http.send(Http.generate(emulator, Http.editBody("tint"))));
    assertThat(Http.image(withMarker)).isEqualTo(Http.image(without));
  }
}
