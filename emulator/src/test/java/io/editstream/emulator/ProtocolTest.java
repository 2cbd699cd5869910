package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Wire details checked with raw HTTP: SSE framing, multi-turn, /stats and /health. */
class ProtocolTest {

  static Emulator emulator;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  @Test
  void shouldFrameStreamsAsServerSentEvents() {
    HttpRequest request =
        Http.request(emulator, "/v1beta/models/" + Sdk.MODEL + ":streamGenerateContent?alt=sse")
            .POST(HttpRequest.BodyPublishers.ofString(Http.editBody("sse").toString()))
            .build();
    HttpResponse<String> response = Http.send(request);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    List<JsonNode> events = new ArrayList<>();
    for (String block : response.body().split("\r\n\r\n")) {
      assertThat(block).startsWith("data: ");
      events.add(Http.json(block.substring("data: ".length())));
    }
    assertThat(events).hasSize(2);
    assertThat(events.get(0).at("/candidates/0/content/parts/0/text").asText()).contains("sse");
    assertThat(events.get(0).at("/candidates/0/finishReason").isMissingNode()).isTrue();
    assertThat(events.get(1).at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
    assertThat(events.get(1).at("/candidates/0/content/parts/0/inlineData/mimeType").asText())
        .isEqualTo("image/png");
    assertThat(events.get(1).at("/usageMetadata/candidatesTokenCount").asInt()).isGreaterThan(1120);
  }

  @Test
  void shouldStreamAJsonArrayWithoutAltSse() {
    HttpRequest request =
        Http.request(emulator, "/v1beta/models/" + Sdk.MODEL + ":streamGenerateContent")
            .POST(HttpRequest.BodyPublishers.ofString(Http.editBody("array").toString()))
            .build();
    JsonNode array = Http.json(Http.send(request));
    assertThat(array.isArray()).isTrue();
    assertThat(array).hasSize(2);
  }

  @Test
  void shouldEditTheLastImageOfTheConversationIncludingModelTurns() {
    ObjectNode body = Http.editBody("first", TestImages.png(100, 100), "image/png");
    ArrayNode contents = (ArrayNode) body.get("contents");
    ObjectNode model = contents.addObject().put("role", "model");
    // A model turn that was not produced here: the documented dummy signature stands in.
    String dummy = "skip_thought_signature_validator";
    model.putArray("parts").addObject().put("text", "done").put("thoughtSignature", dummy);
    ((ArrayNode) model.get("parts"))
        .addObject()
        .put("thoughtSignature", dummy)
        .putObject("inlineData")
        .put("mimeType", "image/jpeg")
        .put("data", Base64.getEncoder().encodeToString(TestImages.jpeg(200, 50)));
    contents.addObject().put("role", "user").putArray("parts").addObject().put("text", "again");

    JsonNode response = Http.json(Http.send(Http.generate(emulator, body)));

    BufferedImage image = TestImages.decode(Http.image(response));
    assertThat(image.getWidth()).isEqualTo(1024);
    assertThat(image.getHeight()).isEqualTo(256);
    assertThat(response.at("/usageMetadata/promptTokensDetails/1/tokenCount").asInt())
        .isEqualTo(2 * 258);
  }

  @Test
  void shouldServeStatsMatchingTheInProcessView() {
    emulator.resetStats();
    Http.send(Http.generate(emulator, Http.editBody("count me")));
    Http.send(Http.generate(emulator, "no-such-model", Http.editBody("x")));

    JsonNode stats = Http.json(Http.send(Http.request(emulator, "/stats").GET().build()));

    EmulatorStats inProcess = emulator.stats();
    assertThat(inProcess.requests()).isEqualTo(2);
    assertThat(inProcess.answers(200)).isEqualTo(1);
    assertThat(inProcess.answers(404)).isEqualTo(1);
    assertThat(inProcess.requestsForModel(Sdk.MODEL)).isEqualTo(1);
    assertThat(inProcess.requestsForKey(null)).isEqualTo(2);
    assertThat(stats.path("requests").asLong()).isEqualTo(2);
    assertThat(stats.at("/answersByStatus/200").asLong()).isEqualTo(1);
    assertThat(stats.at("/answersByStatus/404").asLong()).isEqualTo(1);
    assertThat(stats.path("peakConcurrent").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(stats.path("currentConcurrent").asLong()).isZero();
    assertThat(stats.at("/generateContentByModel/" + Sdk.MODEL).asLong()).isEqualTo(1);
    assertThat(stats.path("imagesGenerated").asLong()).isEqualTo(1);
  }

  @Test
  void shouldRenderFourKOutputs() {
    ObjectNode body = Http.editBody("poster", TestImages.jpeg(640, 480), "image/jpeg");
    body.putObject("generationConfig")
        .putObject("imageConfig")
        .put("imageSize", "4K")
        .put("aspectRatio", "9:16");

    JsonNode response = Http.json(Http.send(Http.generate(emulator, body)));

    BufferedImage image = TestImages.decode(Http.image(response));
    assertThat(image.getWidth()).isEqualTo(2304);
    assertThat(image.getHeight()).isEqualTo(4096);
    assertThat(response.at("/usageMetadata/candidatesTokensDetails/0/tokenCount").asInt())
        .isEqualTo(2520);
  }

  @Test
  void shouldAnswerHealth() {
    HttpResponse<String> response = Http.send(Http.request(emulator, "/health").GET().build());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Http.json(response).path("status").asText()).isEqualTo("ok");
  }
}
