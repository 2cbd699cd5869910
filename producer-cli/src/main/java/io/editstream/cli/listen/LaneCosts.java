package io.editstream.cli.listen;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.Lanes;
import java.util.Collection;
import java.util.Locale;

/**
 * What the jobs of each lane cost (issue 18.6), and what the batch lane saved: what its jobs would
 * have cost online (Google bills a batch request at {@link #BATCH_PRICE_SHARE} of the online price)
 * minus what they cost.
 *
 * @param online outcomes whose lane is {@code online} (cache hits included)
 * @param batch outcomes whose lane is {@code batch}
 * @param unknown outcomes without a lane (from a processor before the lane marker)
 * @param onlineCostUsd cost of the online results
 * @param batchCostUsd cost of the batch results, at the batch price
 * @param batchAtOnlinePriceUsd what the batch results would have cost online
 */
public record LaneCosts(
    int online,
    int batch,
    int unknown,
    double onlineCostUsd,
    double batchCostUsd,
    double batchAtOnlinePriceUsd) {

  /** A batch request's price as a share of the online one (Gemini Batch API: 50 %). */
  public static final double BATCH_PRICE_SHARE = 0.5;

  /** The lanes of {@code outcomes} ({@link EditResult}s and {@link EditFailure}s). */
  public static LaneCosts of(Collection<Object> outcomes, Pricing pricing) {
    int online = 0;
    int batch = 0;
    int unknown = 0;
    double onlineCost = 0;
    double batchCost = 0;
    for (Object o : outcomes) {
      String lane =
          o instanceof EditResult r ? r.getLane() : o instanceof EditFailure f ? f.getLane() : null;
      double cost = o instanceof EditResult r ? cost(r, pricing) : 0;
      if (Lanes.BATCH.equals(lane)) {
        batch++;
        batchCost += cost;
      } else if (Lanes.ONLINE.equals(lane)) {
        online++;
        onlineCost += cost;
      } else {
        unknown++;
        onlineCost += cost;
      }
    }
    return new LaneCosts(
        online, batch, unknown, onlineCost, batchCost, batchCost / BATCH_PRICE_SHARE);
  }

  /**
   * The processor's estimate, else tokens × price (a batch answer at the batch share of it); a
   * cache hit costs nothing.
   */
  public static double cost(EditResult r, Pricing pricing) {
    if (r.getCacheHit()) {
      return 0;
    }
    if (r.getEstimatedCostUsd() != null) {
      return r.getEstimatedCostUsd();
    }
    double online = pricing.cost(r.getUsage().getPromptTokens(), r.getUsage().getOutputTokens());
    return Lanes.BATCH.equals(r.getLane()) ? online * BATCH_PRICE_SHARE : online;
  }

  /** The lane as listen and the report show it: {@code online}, {@code batch} or {@code -}. */
  public static String shown(String lane) {
    return lane == null ? "-" : lane;
  }

  /** What the batch lane saved: its jobs at the online price minus what they cost. */
  public double savingUsd() {
    return batchAtOnlinePriceUsd - batchCostUsd;
  }

  /**
   * One line: jobs and cost per lane, and the batch saving, e.g. {@code online 2 ($0.1340), batch
   * 10 ($0.3350; $0.6700 at the online price: saved $0.3350)}.
   */
  public String line() {
    StringBuilder sb =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "online %d ($%.4f), batch %d ($%.4f",
                online,
                onlineCostUsd,
                batch,
                batchCostUsd));
    if (batch > 0) {
      sb.append(
          String.format(
              Locale.ROOT,
              "; $%.4f at the online price: saved $%.4f",
              batchAtOnlinePriceUsd,
              savingUsd()));
    }
    sb.append(')');
    if (unknown > 0) {
      sb.append(", ").append(unknown).append(" without a lane (an older processor)");
    }
    return sb.toString();
  }
}
