package io.editstream.processor.topology;

import io.editstream.processor.model.Outcome;
import io.editstream.processor.throttle.Settlement;
import io.editstream.schema.FailureCode;
import java.util.EnumSet;
import java.util.Set;

/** What an attempt's permit comes to at the quota gate: the topology's side of the settlement. */
final class Settlements {
  // Codes of attempts that failed before the model was called: their permit was never used.
  private static final Set<FailureCode> BEFORE_THE_CALL =
      EnumSet.of(
          FailureCode.INVALID_JOB,
          FailureCode.NO_IMAGES,
          FailureCode.TOO_MANY_IMAGES,
          FailureCode.INSTRUCTION_MISSING,
          FailureCode.INSTRUCTION_TOO_LONG,
          FailureCode.UNSUPPORTED_IMAGE_TYPE,
          FailureCode.IMAGE_TOO_LARGE,
          FailureCode.IMAGE_DIMENSIONS_TOO_LARGE,
          FailureCode.IMAGE_DIGEST_MISMATCH,
          FailureCode.URI_NOT_ALLOWED,
          FailureCode.IMAGE_FETCH_FAILED);

  private Settlements() {}

  /**
   * A refund when the attempt never reached the model (a cache hit, a coalesced duplicate, an input
   * rejected before the call); rate-limited for a 429; otherwise used, charged to the provider that
   * served the call and corrected from its {@code usageMetadata}.
   */
  static Settlement of(Dispatcher.Attempt attempt) {
    if (attempt instanceof Dispatcher.Produced p) {
      if (p.cacheHit()) {
        return Settlement.refund(); // answered by the dedup cache or a coalesced call
      }
      Long promptTokens = p.usage() == null ? null : (long) p.usage().getPromptTokens();
      return new Settlement.Used(p.provider(), promptTokens);
    }
    Outcome.Failure f = ((Dispatcher.Failed) attempt).failure();
    if (f.httpStatus() == null && BEFORE_THE_CALL.contains(f.code())) {
      return Settlement.refund();
    }
    if (f.code() == FailureCode.QUOTA_EXHAUSTED
        && (f.httpStatus() == null || f.httpStatus() == 429)) {
      return new Settlement.RateLimited(f.provider(), f.retryAfter(), f.perDayQuota());
    }
    return Settlement.Used.asEstimated();
  }
}
