package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.genai.Client;
import com.google.genai.errors.ClientException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With --api-key set, Google's answers for a missing key (403) and a wrong key (400). */
class ApiKeyTest {

  static final String KEY = "AIzaSy-emulator-test-key";
  static Emulator emulator;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withApiKey(KEY));
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void shouldDenyCallsWithoutAKey() {
    JsonNode error =
        ValidationTest.expectError(
            Http.generate(emulator, Http.editBody("x")), 403, "PERMISSION_DENIED");
    assertThat(error.at("/error/message").asText())
        .startsWith("Method doesn't allow unregistered callers");
  }

  @Test
  void shouldRejectAWrongKeyAsGoogleDoes() {
    JsonNode error =
        ValidationTest.expectError(
            Http.generate(emulator, Http.editBody("x"), "x-goog-api-key", "wrong-key"),
            400,
            "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText())
        .isEqualTo("API key not valid. Please pass a valid API key.");
    assertThat(Http.detail(error, "ErrorInfo").path("reason").asText())
        .isEqualTo("API_KEY_INVALID");
    assertThat(error.toString()).doesNotContain("wrong-key");
  }

  @Test
  void shouldAcceptTheKeyInTheHeaderOrTheQuery() {
    assertThat(
            Http.send(Http.generate(emulator, Http.editBody("x"), "x-goog-api-key", KEY))
                .statusCode())
        .isEqualTo(200);
    var request =
        Http.request(emulator, "/v1beta/models/" + Sdk.MODEL + ":generateContent?key=" + KEY)
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(Http.editBody("q").toString()))
            .build();
    assertThat(Http.send(request).statusCode()).isEqualTo(200);
    assertThat(emulator.stats().requestsForKey(KEY)).isGreaterThanOrEqualTo(2);
    assertThat(emulator.stats().requestsByKey().keySet()).noneMatch(k -> k.contains(KEY));
  }

  @Test
  void shouldSurfaceAsClientExceptionInTheSdk() {
    try (Client client = Sdk.client(emulator, "wrong-key")) {
      ClientException e =
          catchThrowableOfType(
              ClientException.class,
              () ->
                  client.models.generateContent(
                      Sdk.MODEL, Sdk.edit("x", TestImages.png(8, 8)), null));
      assertThat(e.code()).isEqualTo(400);
      assertThat(e.status()).isEqualTo("INVALID_ARGUMENT");
      assertThat(e.message()).contains("API key not valid");
    }
  }
}
