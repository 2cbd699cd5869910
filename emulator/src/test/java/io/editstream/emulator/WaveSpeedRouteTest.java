package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WaveSpeedAI's submit-and-poll protocol over real HTTP. */
class WaveSpeedRouteTest {

  private static final String KEY = "ws-test-key-123";
  private static final String SUBMIT = "/api/v3/google/nano-banana-2/edit";

  private static Emulator emulator;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(20).withBearerToken(KEY));
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  static ObjectNode body(String prompt) {
    ObjectNode body = Http.JSON.createObjectNode();
    body.put("prompt", prompt);
    body.putArray("images")
        .add("data:image/png;base64," + Base64.getEncoder().encodeToString(TestImages.png(64, 48)));
    body.put("resolution", "1K");
    body.put("output_format", "png");
    body.put("enable_sync_mode", false);
    return body;
  }

  static HttpResponse<String> submit(Emulator e, String key, JsonNode body) {
    HttpRequest.Builder b =
        Http.request(e, SUBMIT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return Http.send(b.build());
  }

  static JsonNode pollUntilDone(String getUrl) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              HttpResponse<String> r =
                  Http.send(
                      HttpRequest.newBuilder(URI.create(getUrl))
                          .header("Authorization", "Bearer " + KEY)
                          .GET()
                          .build());
              assertThat(r.statusCode()).isEqualTo(200);
              JsonNode data = Http.json(r).path("data");
              last.set(data);
              String status = data.path("status").asText();
              return status.equals("completed") || status.equals("failed");
            });
    return last.get();
  }

  static byte[] download(String url) {
    try {
      return Http.CLIENT
          .send(
              HttpRequest.newBuilder(URI.create(url)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void shouldSubmitThenCompleteWithADownloadableImage() {
    HttpResponse<String> submitted = submit(emulator, KEY, body("remove the background"));

    assertThat(submitted.statusCode()).isEqualTo(200);
    JsonNode data = Http.json(submitted).path("data");
    assertThat(data.path("id").asText()).hasSize(32);
    assertThat(data.path("status").asText()).isIn("created", "processing");
    assertThat(data.path("outputs")).isEmpty();
    String get = data.at("/urls/get").asText();
    assertThat(get)
        .isEqualTo(
            emulator.baseUrl() + "/api/v3/predictions/" + data.path("id").asText() + "/result");

    JsonNode done = pollUntilDone(get);
    assertThat(done.path("status").asText()).isEqualTo("completed");
    assertThat(done.path("has_nsfw_contents").get(0).asBoolean()).isFalse();
    assertThat(done.path("error").asText()).isEmpty();
    byte[] png = download(done.path("outputs").get(0).asText());
    assertThat(TestImages.decode(png).getWidth()).isEqualTo(1024);
  }

  @Test
  void shouldReturnDataUrisAndJpegWhenAsked() {
    ObjectNode body = body("make it blue");
    body.put("enable_base64_output", true);
    body.put("output_format", "jpeg");
    body.put("resolution", "2K");
    JsonNode data = Http.json(submit(emulator, KEY, body)).path("data");

    JsonNode done = pollUntilDone(data.at("/urls/get").asText());
    String output = done.path("outputs").get(0).asText();
    assertThat(output).startsWith("data:image/jpeg;base64,");
    byte[] jpeg = Base64.getDecoder().decode(output.substring(output.indexOf(',') + 1));
    assertThat(jpeg[0] & 0xff).isEqualTo(0xff);
    assertThat(TestImages.decode(jpeg).getWidth()).isEqualTo(2048);
  }

  @Test
  void shouldFlagNsfwAndFailTasksOnMarkers() {
    JsonNode nsfw =
        pollUntilDone(
            Http.json(submit(emulator, KEY, body("edit [emulator:nsfw]")))
                .at("/data/urls/get")
                .asText());
    assertThat(nsfw.path("status").asText()).isEqualTo("completed");
    assertThat(nsfw.path("has_nsfw_contents").get(0).asBoolean()).isTrue();

    JsonNode failed =
        pollUntilDone(
            Http.json(submit(emulator, KEY, body("edit [emulator:task-fail]")))
                .at("/data/urls/get")
                .asText());
    assertThat(failed.path("status").asText()).isEqualTo("failed");
    assertThat(failed.path("error").asText()).contains("Internal error");
    assertThat(failed.path("outputs")).isEmpty();

    HttpResponse<String> unavailable = submit(emulator, KEY, body("edit [emulator:fail=503]"));
    assertThat(unavailable.statusCode()).isEqualTo(503);
    assertThat(Http.json(unavailable).path("code").asInt()).isEqualTo(503);
    assertThat(unavailable.headers().firstValue("Retry-After")).isEmpty();

    HttpResponse<String> hinted =
        submit(emulator, KEY, body("edit [emulator:fail=503] [emulator:retry-delay=2500]"));
    assertThat(hinted.statusCode()).isEqualTo(503);
    assertThat(hinted.headers().firstValue("Retry-After")).contains("3");
  }

  @Test
  void shouldRefuseMissingOrWrongKeysAndBadBodies() {
    assertThat(submit(emulator, null, body("edit")).statusCode()).isEqualTo(401);
    assertThat(submit(emulator, "nope", body("edit")).statusCode()).isEqualTo(401);

    ObjectNode noImages = body("edit");
    noImages.remove("images");
    HttpResponse<String> bad = submit(emulator, KEY, noImages);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(Http.json(bad).path("message").asText()).contains("images");

    ObjectNode badSize = body("edit");
    badSize.put("resolution", "8K");
    assertThat(Http.json(submit(emulator, KEY, badSize)).path("message").asText())
        .contains("resolution");

    HttpResponse<String> unknown =
        Http.send(
            Http.request(emulator, "/api/v3/predictions/deadbeef/result")
                .header("Authorization", "Bearer " + KEY)
                .GET()
                .build());
    assertThat(unknown.statusCode()).isEqualTo(404);
  }

  @Test
  void shouldAnswer429WithRetryAfterOverTheQuota() {
    MutableClock clock = new MutableClock(Instant.parse("2025-05-01T12:00:00Z"));
    try (Emulator limited =
        Emulator.start(
            EmulatorConfig.defaults().withLatencyMeanMs(1).withRpm(2).withClock(clock))) {
      assertThat(submit(limited, "k", body("one")).statusCode()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(10));
      assertThat(submit(limited, "k", body("two")).statusCode()).isEqualTo(200);
      HttpResponse<String> third = submit(limited, "k", body("three"));

      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(third.headers().firstValue("Retry-After")).contains("50");
      assertThat(Http.json(third).path("message").asText()).contains("retry in 50s");
      // Another key has its own pool.
      assertThat(submit(limited, "other", body("three")).statusCode()).isEqualTo(200);
      assertThat(limited.stats().answers(429)).isEqualTo(1);
      assertThat(limited.stats().requestsForModel("google/nano-banana-2/edit")).isEqualTo(4);
    }
  }
}
