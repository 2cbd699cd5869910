package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The {@code thoughtSignature}s of model parts: issued on answers, checked on the model turns a
 * client sends back. Only documented behaviour of the Gemini API is enforced:
 *
 * <ul>
 *   <li>Where an answer carries signatures (Gemini API image generation docs, "Thought
 *       Signatures"): on every {@code inlineData} image part that is not a thought, and on the
 *       first text part when it comes before any image. The emulator signs exactly those.
 *   <li>Gemini 3 image generation/editing validates strictly (Gemini 3 developer guide, "Thought
 *       Signatures"): a model turn sent back without the signature of such a part is refused with
 *       400 INVALID_ARGUMENT. Vertex AI documents that Gemini 3 Pro Image does <em>not</em> refuse
 *       a missing signature, and says nothing about other image models, so the Vertex door does not
 *       require them.
 *   <li>A truncated or corrupted signature is refused with 400 INVALID_ARGUMENT (Vertex AI,
 *       "Thought signatures", constraints), on both doors.
 *   <li>The two dummy values the Gemini API FAQ offers for history without signatures ({@code
 *       context_engineering_is_the_way_to_go}, {@code skip_thought_signature_validator}) pass.
 * </ul>
 *
 * <p>A signature is opaque to clients; here it is 16 bytes derived from the response id and the
 * part's position, then a 32-byte tag over them, so that made-up, cut or altered values are caught.
 */
final class ThoughtSignatures {

  /** Documented stand-ins that skip validation. */
  static final Set<String> DUMMIES =
      Set.of("context_engineering_is_the_way_to_go", "skip_thought_signature_validator");

  private static final byte[] KEY =
      "editstream-emulator-thought-signature-v1".getBytes(StandardCharsets.UTF_8);
  private static final int PAYLOAD = 16;
  private static final int TAG = 32;

  private ThoughtSignatures() {}

  /** The signature of part {@code partIndex} of the answer {@code responseId}. */
  static String issue(String responseId, int partIndex) {
    MessageDigest sha = EditEngine.sha256();
    sha.update(KEY);
    sha.update(responseId.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) partIndex);
    byte[] payload = Arrays.copyOf(sha.digest(), PAYLOAD);
    byte[] signature = Arrays.copyOf(payload, PAYLOAD + TAG);
    System.arraycopy(tag(payload), 0, signature, PAYLOAD, TAG);
    return Base64.getEncoder().encodeToString(signature);
  }

  /**
   * Whether {@code value} is a signature this emulator issued, unchanged, or a documented dummy.
   */
  static boolean valid(String value) {
    if (DUMMIES.contains(value)) {
      return true;
    }
    byte[] bytes;
    try {
      bytes = RequestParser.decodeBase64(value);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (bytes.length != PAYLOAD + TAG) {
      return false;
    }
    byte[] payload = Arrays.copyOf(bytes, PAYLOAD);
    return MessageDigest.isEqual(tag(payload), Arrays.copyOfRange(bytes, PAYLOAD, bytes.length));
  }

  private static byte[] tag(byte[] payload) {
    MessageDigest sha = EditEngine.sha256();
    sha.update(KEY);
    sha.update(payload);
    return sha.digest();
  }

  /** Whether this model is validated strictly on the Gemini API (Gemini 3 image models). */
  static boolean strictFor(String model) {
    return model.startsWith("gemini-3");
  }

  /**
   * The error for one model turn, or null if it is fine.
   *
   * @param c index of the content in {@code contents}
   * @param requireSignatures whether a missing signature is an error (Gemini API, Gemini 3)
   */
  static ApiError check(int c, JsonNode parts, boolean requireSignatures) {
    boolean imageSeen = false;
    boolean firstTextSeen = false;
    for (int p = 0; p < parts.size(); p++) {
      JsonNode part = parts.get(p);
      String field = "contents[" + c + "].parts[" + p + "].thought_signature";
      JsonNode signature =
          part.has("thoughtSignature")
              ? part.get("thoughtSignature")
              : part.get("thought_signature");
      boolean signed = signature != null && !signature.isNull();
      if (signed && !valid(signature.asText())) {
        return ApiError.badField(
            field,
            "Corrupted thought signature in content position "
                + (c + 1)
                + ", part position "
                + (p + 1)
                + ". Send model turns back exactly as they were received.");
      }
      boolean thought = part.path("thought").asBoolean(false);
      boolean image = part.has("inlineData") || part.has("inline_data");
      boolean text = part.hasNonNull("text");
      boolean needsSignature = false;
      String kind = "";
      if (image && !thought) {
        needsSignature = true;
        kind = "Image";
        imageSeen = true;
      } else if (text && !thought && !imageSeen && !firstTextSeen) {
        needsSignature = true;
        kind = "Text";
      }
      if (text && !thought) {
        firstTextSeen = true;
      }
      if (requireSignatures && needsSignature && !signed) {
        return ApiError.badField(
            field,
            kind
                + " part is missing a thought_signature in content position "
                + (c + 1)
                + ", part position "
                + (p + 1)
                + ". Gemini 3 image models validate thought signatures strictly: send each model"
                + " turn back with the thoughtSignature of every part, as it was received. See"
                + " https://ai.google.dev/gemini-api/docs/thought-signatures");
      }
    }
    return null;
  }
}
