package io.editstream.cli.kafka;

/**
 * The topic names a command uses, prefix applied (as the processor does: {@code prefix + name}).
 */
public record Topics(String jobs, String results, String failures) {
  public static final String DEFAULT_JOBS = "edit-jobs";
  public static final String DEFAULT_RESULTS = "edit-results";
  public static final String DEFAULT_FAILURES = "edit-failures";
}
