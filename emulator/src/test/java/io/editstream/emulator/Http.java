package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/** Raw java.net.http calls and request bodies, for what the SDK hides (status, headers, JSON). */
final class Http {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private Http() {}

  /** A one-turn edit request: text plus an inline image. */
  static ObjectNode editBody(String instruction, byte[] image, String mimeType) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode parts = body.putArray("contents").addObject().put("role", "user").putArray("parts");
    parts.addObject().put("text", instruction);
    if (image != null) {
      parts
          .addObject()
          .putObject("inlineData")
          .put("mimeType", mimeType)
          .put("data", Base64.getEncoder().encodeToString(image));
    }
    return body;
  }

  static ObjectNode editBody(String instruction) {
    return editBody(instruction, TestImages.png(64, 48), "image/png");
  }

  static HttpRequest.Builder request(Emulator emulator, String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(emulator.baseUrl() + pathAndQuery))
        .timeout(Duration.ofSeconds(20));
  }

  static HttpRequest generate(Emulator emulator, JsonNode body, String... headers) {
    return generate(emulator, Sdk.MODEL, body, headers);
  }

  static HttpRequest generate(Emulator emulator, String model, JsonNode body, String... headers) {
    HttpRequest.Builder b =
        request(emulator, "/v1beta/models/" + model + ":generateContent")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.build();
  }

  static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The details entry of an error body with the given {@code @type} suffix. */
  static JsonNode detail(JsonNode errorBody, String typeSuffix) {
    for (JsonNode d : errorBody.path("error").path("details")) {
      if (d.path("@type").asText().endsWith(typeSuffix)) {
        return d;
      }
    }
    throw new AssertionError("no " + typeSuffix + " in " + errorBody);
  }

  static byte[] image(JsonNode response) {
    for (JsonNode part : response.path("candidates").path(0).path("content").path("parts")) {
      if (part.has("inlineData")) {
        return Base64.getDecoder().decode(part.path("inlineData").path("data").asText());
      }
    }
    throw new AssertionError("no image in " + response);
  }
}
