package io.editstream.cli.kafka;

/**
 * The topic names a command uses, prefix applied (as the processor does: {@code prefix + name}).
 */
public record Topics(String jobs, String results, String failures) {
  public static final String DEFAULT_JOBS = "edit-jobs";
  public static final String DEFAULT_RESULTS = "edit-results";
  public static final String DEFAULT_FAILURES = "edit-failures";

  /** The option that names {@code topic} (one of ours), for messages saying what to change. */
  public String optionFor(String topic) {
    if (topic.equals(jobs)) {
      return "--jobs-topic";
    }
    if (topic.equals(results)) {
      return "--results-topic";
    }
    return topic.equals(failures) ? "--failures-topic" : "the topic option";
  }
}
