package io.editstream.cli.replay;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the job that replays a failure.
 *
 * <p>The processor drops a jobId it has already seen, and the failed job's id has been seen; so a
 * replay gets a new id, derived deterministically: {@code <original jobId>.replay-<n>}, where n is
 * 1 for the first replay of the original job, 2 for the replay of that replay, and so on. Replaying
 * the same failure twice (e.g. a run that crashed before committing its position) gives the same
 * id, which the processor drops: a failure is never replayed into two jobs.
 *
 * <p>Attributes: {@code editstream.replay=true}, {@code editstream.replay.of=<original jobId>} (so
 * listen counts the replay as the original job), {@code editstream.attempts=<model calls made for
 * this job so far, over all earlier runs>}; the batch id and every other attribute are kept. {@code
 * submittedAt} is the replay time; everything else is the original job unchanged.
 */
public final class ReplayJobs {
  public static final String BATCH = "editstream.batch";
  public static final String REPLAY = "editstream.replay";
  public static final String REPLAY_OF = "editstream.replay.of";
  public static final String ATTEMPTS = "editstream.attempts";

  private static final Pattern SUFFIX = Pattern.compile("^(.*)\\.replay-(\\d+)$");

  private ReplayJobs() {}

  /** The replay of {@code failure}'s job. */
  public static EditJob replayOf(EditFailure failure, Instant now) {
    EditJob original = failure.getJob();
    String root = originalId(original);
    int n = replayNumber(original) + 1;
    Map<String, String> attributes =
        new LinkedHashMap<>(original.getAttributes() == null ? Map.of() : original.getAttributes());
    long before = parseLong(attributes.get(ATTEMPTS));
    attributes.put(REPLAY, "true");
    attributes.put(REPLAY_OF, root);
    attributes.put(ATTEMPTS, Long.toString(before + failure.getAttempts()));
    return EditJob.newBuilder(original)
        .setJobId(root + ".replay-" + n)
        .setSubmittedAt(now)
        .setAttributes(attributes)
        .build();
  }

  /** The id of the job first submitted, before any replay. */
  public static String originalId(EditJob job) {
    Map<String, String> attributes = job.getAttributes();
    String of = attributes == null ? null : attributes.get(REPLAY_OF);
    if (of != null && !of.isBlank()) {
      return of;
    }
    return job.getJobId();
  }

  /** How many times the job's original was replayed to make it: 0 for an original job. */
  public static int replayNumber(EditJob job) {
    Map<String, String> attributes = job.getAttributes();
    if (attributes == null || !"true".equals(attributes.get(REPLAY))) {
      return 0;
    }
    Matcher m = SUFFIX.matcher(job.getJobId());
    if (m.matches() && m.group(1).equals(originalId(job))) {
      try {
        return Integer.parseInt(m.group(2));
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  private static long parseLong(String s) {
    if (s == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(s.strip()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
