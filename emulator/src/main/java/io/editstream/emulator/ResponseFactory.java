package io.editstream.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/** Builds GenerateContentResponse bodies in the Gemini REST shape (camelCase JSON). */
final class ResponseFactory {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /**
   * What usage accounting needs from the request. Answers keep this instead of the request, so
   * input images are not held in memory while an answer waits out its latency.
   */
  record Prompt(
      String model,
      int textTokens,
      int imageTokens,
      boolean hasImages,
      GenerateRequest.OutputSize outputSize) {

    static Prompt of(GenerateRequest r) {
      return new Prompt(
          r.model(), r.textTokens(), r.imageTokens(), !r.images().isEmpty(), r.outputSize());
    }

    int tokens() {
      return textTokens + imageTokens;
    }
  }

  /** What one answer carries. {@code png} is null for answers without an image. */
  record Answer(
      Prompt prompt,
      String responseId,
      String text,
      byte[] png,
      String finishReason,
      String blockReason) {

    int textTokens() {
      return text == null ? 0 : Math.max(1, (text.length() + 3) / 4);
    }

    int imageTokens() {
      return png == null ? 0 : prompt.outputSize().tokens;
    }
  }

  /** The whole answer as one response (generateContent). */
  ObjectNode full(Answer a) {
    ObjectNode root = JSON.objectNode();
    if (a.blockReason() != null) {
      root.putObject("promptFeedback").put("blockReason", a.blockReason());
      root.set("usageMetadata", usage(a, false, false));
      root.put("modelVersion", a.prompt().model());
      root.put("responseId", a.responseId());
      return root;
    }
    ObjectNode candidate = root.putArray("candidates").addObject();
    if (a.text() != null || a.png() != null) {
      ObjectNode content = candidate.putObject("content");
      ArrayNode parts = content.putArray("parts");
      if (a.text() != null) {
        parts.add(textPart(a, 0));
      }
      if (a.png() != null) {
        parts.add(imagePart(a, 1));
      }
      content.put("role", "model");
    }
    candidate.put("finishReason", a.finishReason());
    if ("IMAGE_SAFETY".equals(a.finishReason())) {
      candidate.put(
          "finishMessage",
          "Unable to show the generated image. The image was filtered out because it violated"
              + " Google's Generative AI Prohibited Use policy. You will not be charged for blocked"
              + " images. Try rephrasing the prompt.");
    }
    candidate.put("index", 0);
    root.set("usageMetadata", usage(a, a.text() != null, a.png() != null));
    root.put("modelVersion", a.prompt().model());
    root.put("responseId", a.responseId());
    return root;
  }

  /** The text-only first chunk of a streamed success. */
  ObjectNode textChunk(Answer a) {
    ObjectNode root = JSON.objectNode();
    ObjectNode candidate = root.putArray("candidates").addObject();
    ObjectNode content = candidate.putObject("content");
    content.putArray("parts").add(textPart(a, 0));
    content.put("role", "model");
    candidate.put("index", 0);
    root.set("usageMetadata", usage(a, true, false));
    root.put("modelVersion", a.prompt().model());
    root.put("responseId", a.responseId());
    return root;
  }

  /** The last chunk of a streamed success: the image, finish reason and final usage. */
  ObjectNode imageChunk(Answer a) {
    ObjectNode root = JSON.objectNode();
    ObjectNode candidate = root.putArray("candidates").addObject();
    ObjectNode content = candidate.putObject("content");
    content.putArray("parts").add(imagePart(a, 1));
    content.put("role", "model");
    candidate.put("finishReason", a.finishReason());
    candidate.put("index", 0);
    root.set("usageMetadata", usage(a, a.text() != null, true));
    root.put("modelVersion", a.prompt().model());
    root.put("responseId", a.responseId());
    return root;
  }

  private static ObjectNode textPart(Answer a, int index) {
    ObjectNode part = JSON.objectNode().put("text", a.text());
    part.put("thoughtSignature", signature(a, index));
    return part;
  }

  private static ObjectNode imagePart(Answer a, int index) {
    ObjectNode part = JSON.objectNode();
    part.putObject("inlineData")
        .put("mimeType", "image/png")
        .put("data", Base64.getEncoder().encodeToString(a.png()));
    part.put("thoughtSignature", signature(a, index));
    return part;
  }

  private static ObjectNode usage(Answer a, boolean withText, boolean withImage) {
    Prompt r = a.prompt();
    ObjectNode usage = JSON.objectNode();
    int prompt = r.tokens();
    int textOut = withText ? a.textTokens() : 0;
    int imageOut = withImage ? a.imageTokens() : 0;
    usage.put("promptTokenCount", prompt);
    if (textOut + imageOut > 0) {
      usage.put("candidatesTokenCount", textOut + imageOut);
    }
    usage.put("totalTokenCount", prompt + textOut + imageOut);
    ArrayNode promptDetails = usage.putArray("promptTokensDetails");
    promptDetails.addObject().put("modality", "TEXT").put("tokenCount", r.textTokens());
    if (r.hasImages()) {
      promptDetails.addObject().put("modality", "IMAGE").put("tokenCount", r.imageTokens());
    }
    if (textOut + imageOut > 0) {
      ArrayNode out = usage.putArray("candidatesTokensDetails");
      if (imageOut > 0) {
        out.addObject().put("modality", "IMAGE").put("tokenCount", imageOut);
      }
      if (textOut > 0) {
        out.addObject().put("modality", "TEXT").put("tokenCount", textOut);
      }
    }
    return usage;
  }

  /** Opaque to clients, deterministic, and checkable: see {@link ThoughtSignatures}. */
  static String signature(Answer a, int partIndex) {
    return ThoughtSignatures.issue(a.responseId(), partIndex);
  }
}
