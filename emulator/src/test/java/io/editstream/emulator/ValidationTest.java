package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Google's 400 INVALID_ARGUMENT / 404 NOT_FOUND answers, in Google's error shape. */
class ValidationTest {

  static Emulator emulator;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1));
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  static JsonNode expectError(HttpRequest request, int code, String status) {
    HttpResponse<String> response = Http.send(request);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = Http.json(response);
    assertThat(body.path("error").path("code").asInt()).isEqualTo(code);
    assertThat(body.path("error").path("status").asText()).isEqualTo(status);
    assertThat(body.path("error").path("message").asText()).isNotBlank();
    return body;
  }

  @Test
  void shouldRejectBadBase64NamingTheField() {
    ObjectNode body = Http.editBody("x");
    ((ObjectNode) body.at("/contents/0/parts/1/inlineData")).put("data", "not*base64!");
    JsonNode error = expectError(Http.generate(emulator, body), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText())
        .contains("contents[0].parts[1].inline_data.data")
        .contains("Base64 decoding failed");
    assertThat(Http.detail(error, "BadRequest").at("/fieldViolations/0/field").asText())
        .isEqualTo("contents[0].parts[1].inline_data.data");
  }

  @Test
  void shouldAcceptUrlSafeBase64WithoutPadding() {
    byte[] png = TestImages.png(33, 17);
    ObjectNode body = Http.editBody("x");
    ((ObjectNode) body.at("/contents/0/parts/1/inlineData"))
        .put("data", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(png));
    assertThat(Http.send(Http.generate(emulator, body)).statusCode()).isEqualTo(200);
  }

  @Test
  void shouldRejectUnsupportedMimeType() {
    JsonNode error =
        expectError(
            Http.generate(emulator, Http.editBody("x", TestImages.png(8, 8), "image/gif")),
            400,
            "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).isEqualTo("Unsupported MIME type: image/gif");
  }

  @Test
  void shouldRejectBytesThatAreNoImage() {
    JsonNode error =
        expectError(
            Http.generate(emulator, Http.editBody("x", "hello".getBytes(), "image/png")),
            400,
            "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).startsWith("Unable to process input image");
  }

  @Test
  void shouldRefuseDecompressionBombsFromTheHeaderAlone() {
    // The same header with a sane size passes validation: the size is what is refused.
    assertThat(
            Http.send(
                    Http.generate(
                        emulator, Http.editBody("x", TestImages.pngHeader(100, 50), "image/png")))
                .statusCode())
        .isEqualTo(200);
    JsonNode error =
        expectError(
            Http.generate(
                emulator, Http.editBody("x", TestImages.pngHeader(50_000, 50_000), "image/png")),
            400,
            "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).startsWith("Unable to process input image");
  }

  @Test
  void shouldAcceptWebpAndHeicByMagicBytes() {
    assertThat(
            Http.send(
                    Http.generate(
                        emulator,
                        Http.editBody("x", TestImages.webpHeader(300, 150), "image/webp")))
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> heic =
        Http.send(
            Http.generate(emulator, Http.editBody("x", TestImages.heicHeader(), "image/heic")));
    assertThat(heic.statusCode()).isEqualTo(200);
  }

  @Test
  void shouldKeepTheWebpInputsAspectRatio() {
    HttpResponse<String> response =
        Http.send(
            Http.generate(
                emulator, Http.editBody("x", TestImages.webpHeader(300, 150), "image/webp")));
    java.awt.image.BufferedImage image = TestImages.decode(Http.image(Http.json(response)));
    assertThat(image.getWidth()).isEqualTo(1024);
    assertThat(image.getHeight()).isEqualTo(512);
  }

  @Test
  void shouldRejectMissingContents() {
    JsonNode error =
        expectError(Http.generate(emulator, Http.JSON.createObjectNode()), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).contains("contents is not specified");
  }

  @Test
  void shouldRejectEmptyParts() {
    ObjectNode body = Http.JSON.createObjectNode();
    body.putArray("contents").addObject().put("role", "user").putArray("parts");
    JsonNode error = expectError(Http.generate(emulator, body), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).contains("contents[0].parts");
  }

  @Test
  void shouldRejectInvalidJson() {
    HttpRequest request =
        Http.request(emulator, "/v1beta/models/" + Sdk.MODEL + ":generateContent")
            .POST(HttpRequest.BodyPublishers.ofString("{\"contents\": ["))
            .build();
    expectError(request, 400, "INVALID_ARGUMENT");
  }

  @Test
  void shouldRejectMoreThanSixteenImages() {
    byte[] png = TestImages.png(8, 8);
    ObjectNode ok = Http.editBody("x", png, "image/png");
    ObjectNode tooMany = Http.editBody("x", png, "image/png");
    ArrayNode okParts = (ArrayNode) ok.at("/contents/0/parts");
    ArrayNode parts = (ArrayNode) tooMany.at("/contents/0/parts");
    for (int i = 1; i < 16; i++) {
      okParts.add(okParts.get(1).deepCopy());
      parts.add(parts.get(1).deepCopy());
    }
    parts.add(parts.get(1).deepCopy());

    assertThat(Http.send(Http.generate(emulator, ok)).statusCode()).isEqualTo(200);
    JsonNode error = expectError(Http.generate(emulator, tooMany), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).contains("17").contains("16");
  }

  @Test
  void shouldRejectPayloadsOverTwentyMegabytes() {
    ObjectNode body = Http.editBody("x" + "y".repeat(21 * 1024 * 1024));
    JsonNode error = expectError(Http.generate(emulator, body), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText())
        .isEqualTo("Request payload size exceeds the limit: 20971520 bytes.");
  }

  @Test
  void shouldRejectUnknownImageSizeAndAspectRatio() {
    ObjectNode body = Http.editBody("x");
    body.putObject("generationConfig").putObject("imageConfig").put("imageSize", "3K");
    JsonNode error = expectError(Http.generate(emulator, body), 400, "INVALID_ARGUMENT");
    assertThat(error.at("/error/message").asText()).contains("image_size").contains("3K");

    ObjectNode ratio = Http.editBody("x");
    ratio.putObject("generationConfig").putObject("imageConfig").put("aspectRatio", "7:3");
    assertThat(
            expectError(Http.generate(emulator, ratio), 400, "INVALID_ARGUMENT")
                .at("/error/message")
                .asText())
        .contains("aspect_ratio");
  }

  @Test
  void shouldRejectUnknownRole() {
    ObjectNode body = Http.editBody("x");
    ((ObjectNode) body.at("/contents/0")).put("role", "system");
    assertThat(
            expectError(Http.generate(emulator, body), 400, "INVALID_ARGUMENT")
                .at("/error/message")
                .asText())
        .isEqualTo("Please use a valid role: user, model.");
  }

  @Test
  void shouldAnswerNotFoundForAnUnknownModel() {
    JsonNode error =
        expectError(
            Http.generate(emulator, "gemini-9-ultra", Http.editBody("x")), 404, "NOT_FOUND");
    assertThat(error.at("/error/message").asText())
        .startsWith("models/gemini-9-ultra is not found for API version v1beta");
  }

  @Test
  void shouldAnswerNotFoundInGooglesShapeWithoutDetails() {
    JsonNode error =
        expectError(
            Http.generate(emulator, "gemini-9-ultra", Http.editBody("x")), 404, "NOT_FOUND");
    // Google's documented body: code, message and status only.
    assertThat(error.at("/error").size()).isEqualTo(3);
    assertThat(error.at("/error/message").asText())
        .endsWith(
            "or is not supported for generateContent. Call ListModels to see the list of"
                + " available models and their supported methods.");
  }

  @Test
  void shouldServeTheGaIdOfNanoBanana2AsWellAsThePreviewId() {
    for (String model : List.of("gemini-3.1-flash-image", "gemini-3.1-flash-image-preview")) {
      HttpResponse<String> response = Http.send(Http.generate(emulator, model, Http.editBody("x")));
      assertThat(response.statusCode()).as(model + ": " + response.body()).isEqualTo(200);
    }
    assertThat(emulator.stats().requestsForModel("gemini-3.1-flash-image")).isEqualTo(1);
  }

  @Test
  void shouldServeTheV1PathsToo() {
    HttpRequest request =
        Http.request(emulator, "/v1/models/" + Sdk.MODEL + ":generateContent")
            .POST(HttpRequest.BodyPublishers.ofString(Http.editBody("x").toString()))
            .build();
    assertThat(Http.send(request).statusCode()).isEqualTo(200);
  }

  @Test
  void shouldAnswerNotFoundForUnknownPaths() {
    expectError(Http.request(emulator, "/v1beta/files").GET().build(), 404, "NOT_FOUND");
  }
}
