package io.editstream.cli.submit;

import io.editstream.cli.manifest.Problem;
import java.util.List;

/**
 * The outcome of checking a submission: the jobs to send, or the problems that stop it.
 *
 * @param jobs jobs in manifest order, one per row and fan-out combination
 * @param problems every problem found; when not empty nothing may be sent
 * @param duplicates rows skipped because an earlier row made the same job (same derived id)
 */
public record Plan(List<PlannedJob> jobs, List<Problem> problems, int duplicates) {
  public Plan {
    jobs = List.copyOf(jobs);
    problems = List.copyOf(problems);
  }

  public boolean ok() {
    return problems.isEmpty();
  }

  /** Image bytes the records carry inline. */
  public long inlineBytes() {
    return jobs.stream().mapToLong(PlannedJob::inlineBytes).sum();
  }
}
