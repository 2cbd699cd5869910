package io.editstream.cli.listen;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Follows the outcomes of one batch (or of everything) and says when the batch is complete.
 *
 * <p>Outcomes count per <em>logical</em> job: a replayed job (attribute {@code
 * editstream.replay.of}) counts as the job it replays, so a result of the replay supersedes the
 * original failure, and the batch size stays the number of jobs submitted. A failure never
 * supersedes a result. Not thread-safe.
 */
public final class BatchTracker {
  /** Attribute holding the batch id. */
  public static final String BATCH = "editstream.batch";

  /** Attribute of a replayed job naming the job id it replays. */
  public static final String REPLAY_OF = "editstream.replay.of";

  private final String batchId;
  private final Set<String> jobIds;
  private final Integer expected;
  private final Set<String> earlier = new HashSet<>();
  // logical jobId -> the replay's jobId, for failed jobs whose replay is on the jobs topic
  private final Map<String, String> replaysAwaited = new HashMap<>();
  private final Map<String, Object> finalOutcomes = new LinkedHashMap<>();
  private long promptTokens;
  private long outputTokens;
  private long outputImageTokens;
  private double reportedCostUsd;
  private int resultsWithReportedCost;
  private long unpricedOutputTokens;
  private long unpricedPromptTokens;

  /**
   * @param batchId only outcomes with this {@code editstream.batch} count; null counts all
   * @param expected number of jobs in the batch, or null when unknown
   */
  public BatchTracker(String batchId, Integer expected) {
    this(batchId, Set.of(), expected);
  }

  /**
   * @param jobIds the batch's job ids (from its batch file): their outcomes count whatever batch
   *     they carry — a job submitted before, in another batch, is not run again, and its earlier
   *     outcome is the answer
   */
  public BatchTracker(String batchId, Set<String> jobIds, Integer expected) {
    this.batchId = batchId;
    this.jobIds = Set.copyOf(jobIds);
    this.expected = expected;
  }

  /** The job a job id stands for: the replayed job's id for replays, else itself. */
  public static String logicalId(String jobId, Map<String, String> attributes) {
    String of = attributes == null ? null : attributes.get(REPLAY_OF);
    return of == null || of.isBlank() ? jobId : of;
  }

  /** Whether an outcome with these attributes belongs to the followed batch. */
  public boolean matches(Map<String, String> attributes) {
    return batchId == null || (attributes != null && batchId.equals(attributes.get(BATCH)));
  }

  private boolean matches(String jobId, Map<String, String> attributes) {
    if (matches(attributes)) {
      return true;
    }
    if (jobIds.contains(logicalId(jobId, attributes))) {
      earlier.add(logicalId(jobId, attributes));
      return true;
    }
    return false;
  }

  /** Jobs of the batch answered by an outcome of another batch: submitted before, not run again. */
  public Set<String> earlier() {
    return Set.copyOf(earlier);
  }

  /** Counts a result; returns false (and ignores it) when it is not of the batch. */
  public boolean accept(EditResult result) {
    if (!matches(result.getJobId(), result.getAttributes())) {
      return false;
    }
    // Every result was billed, also one that arrives for a job already done.
    if (result.getUsage() != null) {
      promptTokens += result.getUsage().getPromptTokens();
      outputTokens += result.getUsage().getOutputTokens();
      outputImageTokens += result.getUsage().getOutputImageTokens();
      if (result.getEstimatedCostUsd() != null) {
        reportedCostUsd += result.getEstimatedCostUsd();
        resultsWithReportedCost++;
      } else {
        unpricedOutputTokens += result.getUsage().getOutputTokens();
        unpricedPromptTokens += result.getUsage().getPromptTokens();
      }
    }
    String id = logicalId(result.getJobId(), result.getAttributes());
    finalOutcomes.put(id, result);
    replaysAwaited.remove(id);
    return true;
  }

  /** Counts a failure unless the job already has a result; false when not of the batch. */
  public boolean accept(EditFailure failure) {
    if (!matches(failure.getJobId(), failure.getAttributes())) {
      return false;
    }
    String id = logicalId(failure.getJobId(), failure.getAttributes());
    if (!(finalOutcomes.get(id) instanceof EditResult)) {
      finalOutcomes.put(id, failure);
    }
    if (failure.getJobId().equals(replaysAwaited.get(id))) {
      replaysAwaited.remove(id);
    }
    return true;
  }

  /** Jobs with an outcome. */
  public int done() {
    return finalOutcomes.size();
  }

  public Integer expected() {
    return expected;
  }

  /**
   * True once {@code expected} jobs have an outcome and no failed job waits for its replay's; never
   * when the batch size is unknown.
   */
  public boolean complete() {
    return expected != null && finalOutcomes.size() >= expected && replaysAwaited.isEmpty();
  }

  /**
   * A failed job's replay ({@code replayJobId}) was published: the job is not done until the
   * replay's outcome comes.
   */
  public void awaitReplay(String logicalId, String replayJobId) {
    if (finalOutcomes.get(logicalId) instanceof EditFailure) {
      replaysAwaited.put(logicalId, replayJobId);
    }
  }

  /** Failed jobs whose replay's outcome has not come yet. */
  public int replaysAwaited() {
    return replaysAwaited.size();
  }

  /** The final outcome of every job seen: {@link EditResult} or {@link EditFailure}. */
  public Collection<Object> outcomes() {
    return finalOutcomes.values();
  }

  public Summary summary(Pricing pricing) {
    int ok = 0;
    int cached = 0;
    Map<FailureCode, Integer> failures = new EnumMap<>(FailureCode.class);
    for (Object o : finalOutcomes.values()) {
      if (o instanceof EditResult r) {
        if (r.getCacheHit()) {
          cached++;
        } else {
          ok++;
        }
      } else {
        failures.merge(((EditFailure) o).getCode(), 1, Integer::sum);
      }
    }
    double estimated = reportedCostUsd + pricing.cost(unpricedPromptTokens, unpricedOutputTokens);
    return new Summary(
        ok,
        cached,
        failures,
        promptTokens,
        outputTokens,
        outputImageTokens,
        estimated,
        resultsWithReportedCost);
  }

  /**
   * Counts by outcome, tokens and cost.
   *
   * @param ok results that called the model
   * @param cached results served from the dedup cache
   * @param costUsd processor estimates where given, plus tokens × price for the rest
   * @param resultsWithReportedCost results that carried the processor's estimate
   */
  public record Summary(
      int ok,
      int cached,
      Map<FailureCode, Integer> failures,
      long promptTokens,
      long outputTokens,
      long outputImageTokens,
      double costUsd,
      int resultsWithReportedCost) {
    public Summary {
      failures = Map.copyOf(failures);
      Objects.requireNonNull(failures);
    }

    public int failed() {
      return failures.values().stream().mapToInt(Integer::intValue).sum();
    }
  }
}
