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

  /**
   * The model produced at least one image. {@code provider} names the door that served it ({@code
   * ai-studio}, {@code vertex}, {@code wavespeed}); {@code costUsd} is the estimated price of the
   * calls when the serving route knows it (the provider router sets it from per-provider prices),
   * or null — then callers price {@code usage} themselves.
   */
  record Success(
      List<GeneratedImage> images,
      String text,
      String modelVersion,
      Usage usage,
      Duration modelTime,
      String provider,
      Double costUsd)
      implements Outcome {
    public Success {
      images = List.copyOf(images);
      if (images.isEmpty()) {
        throw new IllegalArgumentException("a Success needs at least one image");
      }
    }

    /** A success whose cost is not known here. */
    public Success(
        List<GeneratedImage> images,
        String text,
        String modelVersion,
        Usage usage,
        Duration modelTime,
        String provider) {
      this(images, text, modelVersion, usage, modelTime, provider, null);
    }

    public Success withCostUsd(Double cost) {
      return new Success(images, text, modelVersion, usage, modelTime, provider, cost);
    }
  }

  /**
   * The call failed. {@code retryable} failures (quota, outage, timeout) may succeed later; {@code
   * retryAfter} is the server's hint (RetryInfo.retryDelay) when it gave one. {@code quotaId} is
   * the quota a 429 names in its {@code QuotaFailure} (a per-day one when any is), else null.
   */
  record Failure(
      FailureCode code,
      boolean retryable,
      Integer httpStatus,
      String finishReason,
      String message,
      Duration retryAfter,
      Duration modelTime,
      String provider,
      String quotaId)
      implements Outcome {

    /** A failure without a named quota. */
    public Failure(
        FailureCode code,
        boolean retryable,
        Integer httpStatus,
        String finishReason,
        String message,
        Duration retryAfter,
        Duration modelTime,
        String provider) {
      this(
          code,
          retryable,
          httpStatus,
          finishReason,
          message,
          retryAfter,
          modelTime,
          provider,
          null);
    }

    /** A failure no provider is named for (yet): the router names the one that answered. */
    public Failure(
        FailureCode code,
        boolean retryable,
        Integer httpStatus,
        String finishReason,
        String message,
        Duration retryAfter,
        Duration modelTime) {
      this(code, retryable, httpStatus, finishReason, message, retryAfter, modelTime, null);
    }

    /** The same failure, as answered by {@code name} (for its quota pool and its metrics). */
    public Failure answeredBy(String name) {
      return new Failure(
          code, retryable, httpStatus, finishReason, message, retryAfter, modelTime, name, quotaId);
    }

    /**
     * Whether this is a 429 for a per-day quota (Google's quotaId contains "PerDay", e.g.
     * GenerateRequestsPerDayPerProjectPerModel): nothing passes before the daily reset, whatever
     * the retryDelay says.
     */
    public boolean perDayQuota() {
      return code == FailureCode.QUOTA_EXHAUSTED && quotaId != null && quotaId.contains("PerDay");
    }

    /** The same failure, naming the quota it hit. */
    public Failure withQuotaId(String id) {
      return new Failure(
          code, retryable, httpStatus, finishReason, message, retryAfter, modelTime, provider, id);
    }

    /** The same failure with another retry hint. */
    public Failure withRetryAfter(Duration hint) {
      return new Failure(
          code, retryable, httpStatus, finishReason, message, hint, modelTime, provider, quotaId);
    }

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
      return new Failure(
          code, retryable, httpStatus, finishReason, message, retryAfter, time, provider, quotaId);
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
