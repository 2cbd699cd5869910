package io.editstream.processor.validate;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Limits a job must respect to be accepted, checked by {@link JobValidator} before any I/O.
 *
 * @param maxImages most input images per job (the model takes at most 16)
 * @param maxInstructionChars most Unicode code points in the instruction and in each step
 * @param maxSteps most follow-up steps of a multi-turn job
 * @param maxIdChars most characters in {@code jobId} and {@code tenant}
 * @param maxInlineImageBytes most bytes of one inline image
 * @param maxTotalInlineBytes most inline image bytes of one job (the Gemini API takes about 20 MB
 *     of inline data per request)
 * @param allowedUriSchemes lower-case URI schemes an input image may use; remove {@code file} when
 *     the processor has no file root, {@code http}/{@code https} when it has no host allow-list
 * @param acceptedMimeTypes lower-case declared MIME types an input image may carry (the bytes are
 *     sniffed again when the image is loaded)
 * @param allowedModels model ids a job may ask for; {@code null} allows any
 */
public record ValidationLimits(
    int maxImages,
    int maxInstructionChars,
    int maxSteps,
    int maxIdChars,
    int maxInlineImageBytes,
    long maxTotalInlineBytes,
    Set<String> allowedUriSchemes,
    Set<String> acceptedMimeTypes,
    Set<String> allowedModels) {

  public static final int DEFAULT_MAX_IMAGES = 16;
  public static final int DEFAULT_MAX_INSTRUCTION_CHARS = 10_000;
  public static final int DEFAULT_MAX_STEPS = 8;
  public static final int DEFAULT_MAX_ID_CHARS = 256;
  public static final int DEFAULT_MAX_INLINE_IMAGE_BYTES = 20 * 1024 * 1024;
  public static final long DEFAULT_MAX_TOTAL_INLINE_BYTES = 20L * 1024 * 1024;

  /** The input types the model accepts (DESIGN.md §6). */
  public static final Set<String> DEFAULT_MIME_TYPES =
      Set.of("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif");

  public ValidationLimits {
    requirePositive(maxImages, "maxImages");
    requirePositive(maxInstructionChars, "maxInstructionChars");
    if (maxSteps < 0) {
      throw new IllegalArgumentException("maxSteps must be >= 0, was " + maxSteps);
    }
    requirePositive(maxIdChars, "maxIdChars");
    requirePositive(maxInlineImageBytes, "maxInlineImageBytes");
    requirePositive(maxTotalInlineBytes, "maxTotalInlineBytes");
    allowedUriSchemes =
        allowedUriSchemes == null
            ? Set.of()
            : allowedUriSchemes.stream()
                .map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    acceptedMimeTypes =
        acceptedMimeTypes == null
            ? Set.of()
            : acceptedMimeTypes.stream()
                .map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    allowedModels = allowedModels == null ? null : Set.copyOf(allowedModels);
  }

  /**
   * The defaults: 16 images, 10,000 characters, 8 steps, 20 MB inline, file/http/https, the five
   * model input types, any model.
   */
  public static ValidationLimits defaults() {
    return new ValidationLimits(
        DEFAULT_MAX_IMAGES,
        DEFAULT_MAX_INSTRUCTION_CHARS,
        DEFAULT_MAX_STEPS,
        DEFAULT_MAX_ID_CHARS,
        DEFAULT_MAX_INLINE_IMAGE_BYTES,
        DEFAULT_MAX_TOTAL_INLINE_BYTES,
        Set.of("file", "http", "https"),
        DEFAULT_MIME_TYPES,
        null);
  }

  public ValidationLimits withAllowedUriSchemes(Set<String> schemes) {
    return new ValidationLimits(
        maxImages,
        maxInstructionChars,
        maxSteps,
        maxIdChars,
        maxInlineImageBytes,
        maxTotalInlineBytes,
        schemes,
        acceptedMimeTypes,
        allowedModels);
  }

  public ValidationLimits withAllowedModels(Set<String> models) {
    return new ValidationLimits(
        maxImages,
        maxInstructionChars,
        maxSteps,
        maxIdChars,
        maxInlineImageBytes,
        maxTotalInlineBytes,
        allowedUriSchemes,
        acceptedMimeTypes,
        models);
  }

  private static void requirePositive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
  }
}
