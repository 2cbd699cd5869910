package io.editstream.processor.model;

import io.editstream.schema.FailureCode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What one model call came to. Model clients never throw: every answer, fault and timeout is one of
 * these values, so the caller decides about retries in one place.
 */
public sealed interface Outcome {

  /** The model produced at least one image. */
  record Success(
      List<GeneratedImage> images,
      String text,
      String modelVersion,
      Usage usage,
      Duration modelTime,
      String provider)
      implements Outcome {
    public Success {
      images = List.copyOf(images);
      if (images.isEmpty()) {
        throw new IllegalArgumentException("a Success needs at least one image");
      }
    }
  }

  /**
   * The call failed. {@code retryable} failures (quota, outage, timeout) may succeed later; {@code
   * retryAfter} is the server's hint (RetryInfo.retryDelay) when it gave one.
   */
  record Failure(
      FailureCode code,
      boolean retryable,
      Integer httpStatus,
      String finishReason,
      String message,
      Duration retryAfter,
      Duration modelTime)
      implements Outcome {

    public Optional<Duration> retryAfterHint() {
      return Optional.ofNullable(retryAfter);
    }

    public static Failure permanent(
        FailureCode code, Integer httpStatus, String finishReason, String message) {
      return new Failure(code, false, httpStatus, finishReason, message, null, Duration.ZERO);
    }

    public static Failure retryable(
        FailureCode code, Integer httpStatus, String message, Duration retryAfter) {
      return new Failure(code, true, httpStatus, null, message, retryAfter, Duration.ZERO);
    }

    Failure withModelTime(Duration time) {
      return new Failure(code, retryable, httpStatus, finishReason, message, retryAfter, time);
    }
  }

  /** An image the model returned, as the model encoded it (PNG for Gemini). */
  record GeneratedImage(byte[] bytes, String mimeType) {}

  /** Tokens billed, from usageMetadata. */
  record Usage(int promptTokens, int outputTokens, int outputImageTokens, int totalTokens) {
    public static final Usage NONE = new Usage(0, 0, 0, 0);

    public Usage plus(Usage other) {
      return new Usage(
          promptTokens + other.promptTokens,
          outputTokens + other.outputTokens,
          outputImageTokens + other.outputImageTokens,
          totalTokens + other.totalTokens);
    }
  }
}
