package io.editstream.processor.throttle;

import java.time.Duration;

/**
 * What a granted job's permit came to, for {@link TaskGate#settle}: the quota is used (and
 * corrected from what the model reported), refunded (the model was never called), or the provider
 * answered 429 (its pool pauses and slows down). Every settlement also frees the job's concurrency
 * slot.
 */
public sealed interface Settlement {

  /** The permit is given back unused: a cache hit, a rejected input, a grant not started. */
  static Settlement refund() {
    return Refund.INSTANCE;
  }

  /**
   * The model was called and the permit is spent.
   *
   * @param servedBy the provider that answered, when the router moved the call within the attempt
   *     to another provider than the admitting one (that provider's pool is charged instead); null
   *     when unknown or the same
   * @param promptTokens the input tokens the model reported ({@code usageMetadata}), which replace
   *     the estimate; null to keep the estimate
   */
  record Used(String servedBy, Long promptTokens) implements Settlement {
    /** A call that reached the model and reported nothing to correct the estimate with. */
    public static Used asEstimated() {
      return new Used(null, null);
    }
  }

  /** The permit goes back to the pool: the model was never called. */
  final class Refund implements Settlement {
    private static final Refund INSTANCE = new Refund();

    private Refund() {}

    @Override
    public String toString() {
      return "Refund";
    }
  }

  /**
   * The call was answered with a 429 (quota exhausted): the permit is spent and the answering pool
   * pauses.
   *
   * @param answeredBy the provider that answered 429, when the router moved the call within the
   *     attempt (null = the admitting one)
   * @param pause the RetryInfo.retryDelay, or null for {@link
   *     DispatchGate#DEFAULT_RATE_LIMIT_PAUSE}
   * @param perDay the per-day quota is spent: the pool is held until midnight Pacific, without a
   *     rate cut
   */
  record RateLimited(String answeredBy, Duration pause, boolean perDay) implements Settlement {}
}
