package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Multi-turn edits over HTTP: answers carry thought signatures where the Gemini API documents them,
 * and Gemini 3 image models refuse earlier model turns that come back without them.
 */
class ThoughtSignatureTest {

  static Emulator emulator;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  /** The first turn's answer: its candidate content, as a client would keep it. */
  private static ObjectNode firstTurn(String model, ObjectNode body) {
    HttpResponse<String> response = Http.send(Http.generate(emulator, model, body));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return (ObjectNode) Http.json(response).at("/candidates/0/content").deepCopy();
  }

  /** The conversation of {@code body} followed by {@code modelTurn} and a second instruction. */
  private static ObjectNode secondTurn(ObjectNode body, JsonNode modelTurn) {
    ObjectNode next = body.deepCopy();
    ArrayNode contents = (ArrayNode) next.get("contents");
    contents.add(modelTurn);
    contents.addObject().put("role", "user").putArray("parts").addObject().put("text", "crop it");
    return next;
  }

  private static HttpResponse<String> send(String model, ObjectNode body) {
    return Http.send(Http.generate(emulator, model, body));
  }

  @Test
  void shouldSignTheLeadingTextPartAndTheImagePart() {
    ObjectNode turn = firstTurn(Sdk.MODEL, Http.editBody("add a hat"));

    JsonNode parts = turn.get("parts");
    assertThat(parts).hasSize(2);
    assertThat(parts.get(0).has("text")).isTrue();
    assertThat(parts.get(1).has("inlineData")).isTrue();
    assertThat(ThoughtSignatures.valid(parts.get(0).path("thoughtSignature").asText())).isTrue();
    assertThat(ThoughtSignatures.valid(parts.get(1).path("thoughtSignature").asText())).isTrue();
    assertThat(parts.get(0).path("thoughtSignature").asText())
        .isNotEqualTo(parts.get(1).path("thoughtSignature").asText());
  }

  @Test
  void shouldAcceptAModelTurnSentBackAsReceived() {
    ObjectNode body = Http.editBody("add a hat");
    ObjectNode turn = firstTurn(Sdk.MODEL, body);

    HttpResponse<String> response = send(Sdk.MODEL, secondTurn(body, turn));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(Http.json(response).at("/candidates/0/content/parts/1/inlineData").isObject())
        .isTrue();
  }

  @Test
  void shouldRefuseAModelTurnWhoseImageLostItsSignature() {
    ObjectNode body = Http.editBody("add a hat");
    ObjectNode turn = firstTurn(Sdk.MODEL, body);
    ((ObjectNode) turn.get("parts").get(1)).remove("thoughtSignature");

    HttpResponse<String> response = send(Sdk.MODEL, secondTurn(body, turn));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = Http.json(response).path("error");
    assertThat(error.path("status").asText()).isEqualTo("INVALID_ARGUMENT");
    assertThat(error.path("message").asText())
        .startsWith(
            "Image part is missing a thought_signature in content position 2, part position 2")
        .contains("thoughtSignature");
    assertThat(
            Http.detail(Http.json(response), "BadRequest").at("/fieldViolations/0/field").asText())
        .isEqualTo("contents[1].parts[1].thought_signature");
  }

  @Test
  void shouldRefuseAModelTurnWhoseLeadingTextLostItsSignature() {
    ObjectNode body = Http.editBody("add a hat");
    ObjectNode turn = firstTurn(Sdk.MODEL, body);
    ((ObjectNode) turn.get("parts").get(0)).remove("thoughtSignature");

    HttpResponse<String> response = send(Sdk.MODEL, secondTurn(body, turn));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response).at("/error/message").asText())
        .startsWith(
            "Text part is missing a thought_signature in content position 2, part position 1");
  }

  @Test
  void shouldRefuseACorruptedSignatureEvenWhereNoneIsRequired() {
    ObjectNode body = Http.editBody("add a hat");
    String model = "gemini-2.5-flash-image";
    ObjectNode turn = firstTurn(model, body);
    ObjectNode image = (ObjectNode) turn.get("parts").get(1);
    String signature = image.get("thoughtSignature").asText();
    char flipped = signature.charAt(3) == 'A' ? 'B' : 'A';
    image.put("thoughtSignature", signature.substring(0, 3) + flipped + signature.substring(4));

    HttpResponse<String> response = send(model, secondTurn(body, turn));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response).at("/error/message").asText())
        .startsWith("Corrupted thought signature in content position 2, part position 2");
  }

  @Test
  void shouldNotRequireSignaturesFromModelsThatDoNotValidateThem() {
    ObjectNode body = Http.editBody("add a hat");
    String model = "gemini-2.5-flash-image";
    ObjectNode turn = firstTurn(model, body);
    for (JsonNode part : turn.get("parts")) {
      ((ObjectNode) part).remove("thoughtSignature");
    }

    HttpResponse<String> response = send(model, secondTurn(body, turn));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void shouldNotRequireSignaturesOnTheVertexDoor() {
    ObjectNode body = Http.editBody("add a hat");
    ObjectNode turn = firstTurn(Sdk.MODEL, body);
    for (JsonNode part : turn.get("parts")) {
      ((ObjectNode) part).remove("thoughtSignature");
    }

    HttpResponse<String> response =
        Http.send(
            Http.request(
                    emulator,
                    "/v1beta1/projects/p/locations/global/publishers/google/models/"
                        + Sdk.MODEL
                        + ":generateContent")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(secondTurn(body, turn).toString()))
                .build());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void shouldAcceptTheDocumentedDummySignatures() {
    ObjectNode body = Http.editBody("add a hat");
    ObjectNode turn = firstTurn(Sdk.MODEL, body);
    ((ObjectNode) turn.get("parts").get(0))
        .put("thoughtSignature", "context_engineering_is_the_way_to_go");
    ((ObjectNode) turn.get("parts").get(1))
        .put("thoughtSignature", "skip_thought_signature_validator");

    assertThat(send(Sdk.MODEL, secondTurn(body, turn)).statusCode()).isEqualTo(200);
  }
}
