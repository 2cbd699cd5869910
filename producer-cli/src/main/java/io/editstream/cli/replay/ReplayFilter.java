package io.editstream.cli.replay;

import io.editstream.schema.EditFailure;
import io.editstream.schema.FailureCode;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * Which failures to replay. By default only retryable ones: a permanent failure (bad input, a
 * safety block) would fail the same way again, so it needs {@code includePermanent}.
 *
 * @param codes replay only these codes; empty for any
 * @param since only failures whose last error is at or after this instant; null for no bound
 * @param until only failures whose last error is before this instant; null for no bound
 * @param tenant, sku, batchId equality filters; null for any
 * @param maxReplays do not replay a job that was already replayed this many times
 */
public record ReplayFilter(
    Set<FailureCode> codes,
    boolean includePermanent,
    Instant since,
    Instant until,
    String tenant,
    String sku,
    String batchId,
    int maxReplays) {

  public ReplayFilter {
    codes = Set.copyOf(codes);
  }

  /** Why a failure is or is not replayed. */
  public enum Decision {
    REPLAY,
    PERMANENT,
    OTHER_CODE,
    OUT_OF_TIME_RANGE,
    OTHER_TENANT,
    OTHER_SKU,
    OTHER_BATCH,
    REPLAYED_TOO_OFTEN
  }

  public Decision decide(EditFailure f) {
    if (!codes.isEmpty() && !codes.contains(f.getCode())) {
      return Decision.OTHER_CODE;
    }
    if (!f.getRetryable() && !includePermanent) {
      return Decision.PERMANENT;
    }
    Instant at = f.getLastErrorAt();
    if ((since != null && at.isBefore(since)) || (until != null && !at.isBefore(until))) {
      return Decision.OUT_OF_TIME_RANGE;
    }
    if (tenant != null && !tenant.equals(f.getTenant())) {
      return Decision.OTHER_TENANT;
    }
    if (sku != null && !sku.equals(f.getSku())) {
      return Decision.OTHER_SKU;
    }
    Map<String, String> attributes = f.getJob().getAttributes();
    if (batchId != null
        && (attributes == null || !batchId.equals(attributes.get(ReplayJobs.BATCH)))) {
      return Decision.OTHER_BATCH;
    }
    if (ReplayJobs.replayNumber(f.getJob()) >= maxReplays) {
      return Decision.REPLAYED_TOO_OFTEN;
    }
    return Decision.REPLAY;
  }
}
