package io.editstream.processor.throttle;

/**
 * What one model call takes from a pool: requests (normally 1), input images and the estimated
 * input tokens. Estimates should err high: an over-estimate is refunded exactly by {@link
 * QuotaPool#correct}, an under-estimate can only be charged after the fact.
 *
 * @param requests requests, at least 1
 * @param images input images, at least 0
 * @param estimatedInputTokens estimated input tokens, at least 0
 */
public record Cost(int requests, int images, long estimatedInputTokens) {

  public Cost {
    if (requests < 1) {
      throw new IllegalArgumentException("requests must be >= 1 but was " + requests);
    }
    if (images < 0) {
      throw new IllegalArgumentException("images must be >= 0 but was " + images);
    }
    if (estimatedInputTokens < 0) {
      throw new IllegalArgumentException(
          "estimatedInputTokens must be >= 0 but was " + estimatedInputTokens);
    }
  }

  /** One request with the given images and estimated input tokens. */
  public static Cost of(int images, long estimatedInputTokens) {
    return new Cost(1, images, estimatedInputTokens);
  }

  /** The amount this cost takes from one bucket. */
  public long amount(Bucket bucket) {
    return switch (bucket) {
      case REQUESTS_PER_MINUTE, REQUESTS_PER_DAY -> requests;
      case IMAGES_PER_MINUTE -> images;
      case INPUT_TOKENS_PER_MINUTE -> estimatedInputTokens;
    };
  }
}
