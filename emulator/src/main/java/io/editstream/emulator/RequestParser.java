package io.editstream.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Dimension;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a request body into a {@link GenerateRequest} or the {@link ApiError} Google would answer.
 */
final class RequestParser {

  static final int MAX_IMAGES = 16;
  static final long MAX_PAYLOAD_BYTES = 20L * 1024 * 1024;

  static final Set<String> IMAGE_MIME_TYPES =
      Set.of("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif");

  static final Map<String, Double> ASPECT_RATIOS =
      Map.ofEntries(
          Map.entry("1:1", 1.0),
          Map.entry("2:3", 2.0 / 3),
          Map.entry("3:2", 3.0 / 2),
          Map.entry("3:4", 3.0 / 4),
          Map.entry("4:3", 4.0 / 3),
          Map.entry("4:5", 4.0 / 5),
          Map.entry("5:4", 5.0 / 4),
          Map.entry("9:16", 9.0 / 16),
          Map.entry("16:9", 16.0 / 9),
          Map.entry("21:9", 21.0 / 9),
          Map.entry("1:4", 1.0 / 4),
          Map.entry("4:1", 4.0),
          Map.entry("1:8", 1.0 / 8),
          Map.entry("8:1", 8.0));

  /** Either a request or an error. */
  record Result(GenerateRequest request, ApiError error) {}

  private final ObjectMapper json;

  RequestParser(ObjectMapper json) {
    this.json = json;
  }

  /**
   * @param requireSignatures whether earlier model turns must carry their thought signatures (the
   *     Gemini API's Gemini 3 image models); corrupted signatures are refused either way
   */
  Result parse(String model, byte[] body, String directiveHeader, boolean requireSignatures) {
    if (body.length > MAX_PAYLOAD_BYTES) {
      return fail(ApiError.payloadTooLarge());
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      return fail(
          ApiError.invalidArgument(
              "Invalid JSON payload received. " + e.getOriginalMessage().split("\n")[0]));
    } catch (java.io.IOException e) {
      return fail(ApiError.invalidArgument("Invalid JSON payload received."));
    }
    if (root == null || !root.isObject()) {
      return fail(
          ApiError.invalidArgument(
              "Invalid JSON payload received. Expected an object at the top level."));
    }
    JsonNode contents = root.path("contents");
    if (!contents.isArray() || contents.isEmpty()) {
      return fail(
          ApiError.badField(
              "contents", "* GenerateContentRequest.contents: contents is not specified\n"));
    }
    List<InputImage> images = new ArrayList<>();
    long textChars = 0;
    int userTurns = 0;
    List<String> latestUserTexts = List.of();
    for (int c = 0; c < contents.size(); c++) {
      JsonNode content = contents.get(c);
      String role = content.path("role").asText("user");
      if (role.isEmpty()) {
        role = "user";
      }
      if (!role.equals("user") && !role.equals("model")) {
        return fail(ApiError.invalidArgument("Please use a valid role: user, model."));
      }
      JsonNode parts = content.path("parts");
      if (!parts.isArray() || parts.isEmpty()) {
        return fail(
            ApiError.badField(
                "contents[" + c + "].parts",
                "* GenerateContentRequest.contents["
                    + c
                    + "].parts: contents.parts must not be empty.\n"));
      }
      if (role.equals("model")) {
        ApiError unsigned = ThoughtSignatures.check(c, parts, requireSignatures);
        if (unsigned != null) {
          return fail(unsigned);
        }
      }
      List<String> texts = new ArrayList<>();
      for (int p = 0; p < parts.size(); p++) {
        JsonNode part = parts.get(p);
        String field = "contents[" + c + "].parts[" + p + "]";
        if (part.hasNonNull("text")) {
          String text = part.get("text").asText();
          textChars += text.length();
          texts.add(text);
        }
        if (part.has("fileData")) {
          return fail(
              ApiError.badField(
                  field + ".file_data",
                  "The emulator does not read fileData parts (its Files API serves batches only); send"
                      + " images as inlineData."));
        }
        JsonNode inline = part.has("inlineData") ? part.get("inlineData") : part.get("inline_data");
        if (inline != null && !inline.isNull()) {
          Object image = image(field + ".inline_data", inline);
          if (image instanceof ApiError error) {
            return fail(error);
          }
          images.add((InputImage) image);
        }
      }
      if (role.equals("user")) {
        userTurns++;
        latestUserTexts = texts;
      }
    }
    if (images.size() > MAX_IMAGES) {
      return fail(
          ApiError.invalidArgument(
              "Too many images in the request: "
                  + images.size()
                  + " were provided, at most "
                  + MAX_IMAGES
                  + " are supported."));
    }
    JsonNode generation = root.path("generationConfig");
    JsonNode imageConfig = generation.path("imageConfig");
    GenerateRequest.OutputSize size = GenerateRequest.OutputSize.S1K;
    if (imageConfig.hasNonNull("imageSize")) {
      String value = imageConfig.get("imageSize").asText();
      size = GenerateRequest.OutputSize.parse(value);
      if (size == null) {
        return fail(
            ApiError.badField(
                "generation_config.image_config.image_size",
                "Invalid value at 'generation_config.image_config.image_size': \""
                    + value
                    + "\". Supported values are \"512\", \"1K\", \"2K\" and \"4K\"."));
      }
    }
    double aspect = 0;
    if (imageConfig.hasNonNull("aspectRatio")) {
      String value = imageConfig.get("aspectRatio").asText();
      Double ratio = ASPECT_RATIOS.get(value);
      if (ratio == null) {
        return fail(
            ApiError.badField(
                "generation_config.image_config.aspect_ratio",
                "Invalid value at 'generation_config.image_config.aspect_ratio': \""
                    + value
                    + "\". Supported values are "
                    + new java.util.TreeSet<>(ASPECT_RATIOS.keySet())
                    + "."));
      }
      aspect = ratio;
    }
    boolean wantsImage = true;
    JsonNode modalities = generation.path("responseModalities");
    if (modalities.isArray() && !modalities.isEmpty()) {
      wantsImage = false;
      for (JsonNode m : modalities) {
        wantsImage |= m.asText().toUpperCase(Locale.ROOT).equals("IMAGE");
      }
    }
    Directives directives;
    try {
      directives = Directives.parse(latestUserTexts, directiveHeader);
    } catch (IllegalArgumentException e) {
      return fail(ApiError.invalidArgument(e.getMessage()));
    }
    String instruction = Directives.strip(String.join(" ", latestUserTexts));
    return new Result(
        new GenerateRequest(
            model, images, instruction, textChars, userTurns, size, aspect, wantsImage, directives),
        null);
  }

  /** An {@link InputImage} or the {@link ApiError} for a bad inline image. */
  private static Object image(String field, JsonNode inline) {
    String mime = inline.path("mimeType").asText(inline.path("mime_type").asText(""));
    String normalized = mime.toLowerCase(Locale.ROOT).trim();
    if (normalized.isEmpty()) {
      return ApiError.badField(field + ".mime_type", "Missing mime_type in " + field + ".");
    }
    if (!IMAGE_MIME_TYPES.contains(normalized)) {
      return ApiError.badField(field + ".mime_type", "Unsupported MIME type: " + mime);
    }
    String data = inline.path("data").asText("");
    byte[] bytes;
    try {
      bytes = decodeBase64(data);
    } catch (IllegalArgumentException e) {
      String shown = data.length() > 24 ? data.substring(0, 24) + "..." : data;
      return ApiError.badField(
          field + ".data",
          "Invalid value at '"
              + field
              + ".data' (TYPE_BYTES), Base64 decoding failed for \""
              + shown
              + "\"");
    }
    if (bytes.length == 0) {
      return ApiError.badField(field + ".data", "Missing data in " + field + ".");
    }
    return image(field, normalized, bytes);
  }

  /** An {@link InputImage} from decoded bytes, or the {@link ApiError} if they are no image. */
  static Object image(String field, String normalized, byte[] bytes) {
    Optional<InputImage.Format> format = InputImage.sniff(bytes);
    Optional<Dimension> dims = format.flatMap(f -> InputImage.dimensions(f, bytes));
    if (dims.isEmpty()
        || dims.get().width <= 0
        || dims.get().height <= 0
        || (long) dims.get().width * dims.get().height > InputImage.MAX_PIXELS) {
      return ApiError.badField(
          field + ".data",
          "Unable to process input image. Please retry or report in"
              + " https://developers.generativeai.google/guide/troubleshooting");
    }
    return new InputImage(
        field, normalized, format.get(), bytes, dims.get().width, dims.get().height);
  }

  /** Proto3 JSON accepts standard and URL-safe base64, with or without padding. */
  static byte[] decodeBase64(String data) {
    String s = data.strip();
    if (s.indexOf('-') >= 0 || s.indexOf('_') >= 0) {
      return Base64.getUrlDecoder().decode(s);
    }
    return Base64.getDecoder().decode(s);
  }

  private static Result fail(ApiError error) {
    return new Result(null, error);
  }
}
