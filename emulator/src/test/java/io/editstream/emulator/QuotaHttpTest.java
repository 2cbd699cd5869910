package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.genai.Client;
import com.google.genai.errors.ClientException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Quotas over HTTP: the 4th request with rpm 3 gets Google's 429 with the right retryDelay. */
class QuotaHttpTest {

  @Test
  void shouldRejectTheRequestOverRpmWithQuotaFailureAndRetryInfo() {
    MutableClock clock = new MutableClock(Instant.parse("2025-05-01T12:00:00Z"));
    try (Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults().withLatencyMeanMs(1).withRpm(3).withClock(clock))) {
      for (int i = 0; i < 3; i++) {
        assertThat(Http.send(Http.generate(emulator, Http.editBody("edit " + i))).statusCode())
            .isEqualTo(200);
        clock.advance(Duration.ofSeconds(5));
      }

      HttpResponse<String> rejected = Http.send(Http.generate(emulator, Http.editBody("edit 3")));

      assertThat(rejected.statusCode()).isEqualTo(429);
      JsonNode error = Http.json(rejected);
      assertThat(error.at("/error/status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
      JsonNode violation = Http.detail(error, "QuotaFailure").at("/violations/0");
      assertThat(violation.path("quotaMetric").asText())
          .isEqualTo(QuotaKind.RPM.metric())
          .startsWith("generativelanguage.googleapis.com/");
      assertThat(violation.path("quotaId").asText())
          .isEqualTo("GenerateRequestsPerMinutePerProjectPerModel");
      // First request at 12:00:00, now 12:00:15: room again at 12:01:00.
      assertThat(Http.detail(error, "RetryInfo").path("retryDelay").asText()).isEqualTo("45s");
      assertThat(error.at("/error/message").asText()).contains("Please retry in 45s");
      assertThat(emulator.stats().rateLimited()).isEqualTo(1);

      clock.advance(Duration.ofSeconds(45));
      assertThat(Http.send(Http.generate(emulator, Http.editBody("edit 4"))).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void shouldSurfaceQuotaErrorsInTheSdkWithTheRetryDelayInTheMessage() {
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withRpm(3));
        Client client = Sdk.client(emulator, "quota-key")) {
      for (int i = 0; i < 3; i++) {
        client.models.generateContent(Sdk.MODEL, Sdk.edit("n" + i, TestImages.png(8, 8)), null);
      }
      ClientException e =
          catchThrowableOfType(
              ClientException.class,
              () ->
                  client.models.generateContent(
                      Sdk.MODEL, Sdk.edit("n3", TestImages.png(8, 8)), null));

      assertThat(e.code()).isEqualTo(429);
      assertThat(e.status()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(e.message())
          .containsPattern("\"retryDelay\"\\s*:\\s*\"(5[0-9]|60)(\\.\\d{3})?s\"");
      // Another key has its own quota.
      try (Client other = Sdk.client(emulator, "other-key")) {
        assertThat(
                other
                    .models
                    .generateContent(Sdk.MODEL, Sdk.edit("n", TestImages.png(8, 8)), null)
                    .candidates())
            .isPresent();
      }
    }
  }
}
