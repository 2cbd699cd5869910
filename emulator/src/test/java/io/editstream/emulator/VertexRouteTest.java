package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.genai.Client;
import com.google.genai.errors.ClientException;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Vertex AI door: project/location path, OAuth bearer token, quotas per project. */
class VertexRouteTest {

  private static final String TOKEN = "ya29.test-access-token";
  private static final String PATH =
      "/v1beta1/projects/shop-prod/locations/global/publishers/google/models/"
          + Sdk.MODEL
          + ":generateContent";

  static Client vertex(Emulator emulator, String project, String token) {
    GoogleCredentials credentials =
        GoogleCredentials.create(
            new AccessToken(token, new Date(System.currentTimeMillis() + 3_600_000)));
    return Client.builder()
        .vertexAI(true)
        .project(project)
        .location("global")
        .credentials(credentials)
        .httpOptions(
            HttpOptions.builder()
                .baseUrl(emulator.baseUrl())
                .retryOptions(
                    HttpRetryOptions.builder().attempts(1).httpStatusCodes(List.of()).build())
                .timeout(20_000)
                .build())
        .build();
  }

  private static HttpRequest raw(Emulator emulator, String instruction, String... headers) {
    HttpRequest.Builder b =
        Http.request(emulator, PATH)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Http.editBody(instruction).toString()));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.build();
  }

  @Test
  void shouldAnswerTheSdkInVertexModeWithAnImage() {
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withBearerToken(TOKEN));
        Client client = vertex(emulator, "shop-prod", TOKEN)) {
      GenerateContentResponse response =
          client.models.generateContent(
              Sdk.MODEL,
              Sdk.edit("remove the background", TestImages.png(64, 48)),
              Sdk.imageConfig("1K", null));

      byte[] png =
          response.candidates().get().get(0).content().get().parts().get().stream()
              .flatMap(p -> p.inlineData().stream())
              .findFirst()
              .orElseThrow()
              .data()
              .orElseThrow();
      assertThat(TestImages.decode(png).getWidth()).isEqualTo(1024);
      assertThat(emulator.stats().requestsForKey(TOKEN)).isEqualTo(1);
    }
  }

  @Test
  void shouldRefuseAMissingOrWrongBearerTokenWith401() {
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withBearerToken(TOKEN));
        Client wrong = vertex(emulator, "shop-prod", "ya29.someone-else")) {
      HttpResponse<String> missing = Http.send(raw(emulator, "edit"));
      assertThat(missing.statusCode()).isEqualTo(401);
      assertThat(Http.json(missing).at("/error/status").asText()).isEqualTo("UNAUTHENTICATED");

      ClientException e =
          catchThrowableOfType(
              ClientException.class,
              () ->
                  wrong.models.generateContent(
                      Sdk.MODEL,
                      Sdk.edit("edit", TestImages.png(8, 8)),
                      Sdk.imageConfig(null, null)));
      assertThat(e.code()).isEqualTo(401);
      assertThat(e.status()).isEqualTo("UNAUTHENTICATED");

      HttpResponse<String> right =
          Http.send(raw(emulator, "edit", "Authorization", "Bearer " + TOKEN));
      assertThat(right.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void shouldMeterQuotasPerProjectAndHonourFaultMarkers() {
    MutableClock clock = new MutableClock(Instant.parse("2025-05-01T12:00:00Z"));
    try (Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults().withLatencyMeanMs(1).withRpm(1).withClock(clock))) {
      assertThat(Http.send(raw(emulator, "first")).statusCode()).isEqualTo(200);
      HttpResponse<String> limited = Http.send(raw(emulator, "second"));
      assertThat(limited.statusCode()).isEqualTo(429);
      JsonNode retry = Http.detail(Http.json(limited), "RetryInfo");
      assertThat(retry.path("retryDelay").asText()).isEqualTo("60s");

      // Another project has its own pool.
      HttpRequest other =
          Http.request(emulator, PATH.replace("shop-prod", "shop-staging"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(Http.editBody("third").toString()))
              .build();
      assertThat(Http.send(other).statusCode()).isEqualTo(200);

      HttpRequest failing =
          Http.request(emulator, PATH.replace("shop-prod", "shop-dev"))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      Http.editBody("edit [emulator:fail=503]").toString()))
              .build();
      HttpResponse<String> unavailable = Http.send(failing);
      assertThat(unavailable.statusCode()).isEqualTo(503);
      assertThat(Http.json(unavailable).at("/error/status").asText()).isEqualTo("UNAVAILABLE");
    }
  }

  @Test
  void shouldAnswerVertexStyle404ForAnUnknownModel() {
    try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1))) {
      HttpRequest request =
          Http.request(emulator, PATH.replace(Sdk.MODEL, "imagen-9"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(Http.editBody("edit").toString()))
              .build();
      HttpResponse<String> response = Http.send(request);
      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(Http.json(response).at("/error/message").asText())
          .startsWith(
              "Publisher Model `projects/shop-prod/locations/global/publishers/google/models/imagen-9`");
    }
  }
}
