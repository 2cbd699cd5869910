package io.editstream.processor.throttle;

/**
 * The published limits of one quota pool (one project and model). Every number is configuration.
 *
 * <p>{@code rpm}, {@code ipm}, {@code tpm} and {@code rpd} are non-negative; {@code 0} means
 * "unlimited" (the bucket is not enforced). {@code burst} is how many requests may leave
 * back-to-back; the image and token buckets get the same fraction ({@code burst / rpm}) of their
 * per-minute limit. A burst is not free: to keep every sliding window within the limit the
 * sustained rate is {@code (limit - burst) / window}, so a small burst (a few requests, at most a
 * few per cent of rpm) keeps utilization high. The burst should also cover what refills between two
 * drains of the throttle ({@code rpm/60 * drain interval}), else refill is lost at the capacity;
 * waking the drain at {@link Throttle#nextWakeup} avoids that. Validation is eager and messages
 * name the field.
 *
 * @param rpm requests per minute, 0 = unlimited
 * @param ipm images per minute, 0 = unlimited
 * @param tpm input tokens per minute, 0 = unlimited
 * @param rpd requests per day (Pacific calendar day), 0 = unlimited
 * @param burst requests that may be admitted back-to-back, at least 1 and below rpm
 */
public record QuotaLimits(long rpm, long ipm, long tpm, long rpd, long burst) {

  public QuotaLimits {
    requireNonNegative("rpm", rpm);
    requireNonNegative("ipm", ipm);
    requireNonNegative("tpm", tpm);
    requireNonNegative("rpd", rpd);
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be >= 1 but was " + burst);
    }
    if (rpm > 0 && burst >= rpm) {
      throw new IllegalArgumentException(
          "burst must be < rpm (" + rpm + ") but was " + burst + "; a typical value is rpm / 100");
    }
  }

  /** Limits with only requests per minute enforced. */
  public static QuotaLimits perMinute(long rpm, long burst) {
    return new QuotaLimits(rpm, 0, 0, 0, burst);
  }

  /** The configured limit of one bucket ({@code 0} = unlimited). */
  public long limit(Bucket bucket) {
    return switch (bucket) {
      case REQUESTS_PER_MINUTE -> rpm;
      case IMAGES_PER_MINUTE -> ipm;
      case INPUT_TOKENS_PER_MINUTE -> tpm;
      case REQUESTS_PER_DAY -> rpd;
    };
  }

  /**
   * The burst capacity of a per-minute bucket at full share: {@code burst} requests' worth, i.e.
   * the fraction {@code burst / rpm} of the limit (one second's worth when rpm is unlimited).
   */
  double burstCapacity(Bucket bucket) {
    long limit = limit(bucket);
    if (bucket == Bucket.REQUESTS_PER_MINUTE) {
      return burst;
    }
    return rpm > 0 ? (double) limit * burst / rpm : limit / 60.0;
  }

  private static void requireNonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0 (0 = unlimited) but was " + value);
    }
  }
}
