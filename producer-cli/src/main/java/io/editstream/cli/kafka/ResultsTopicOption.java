package io.editstream.cli.kafka;

import picocli.CommandLine.Option;

/** {@code --results-topic} (a mixin), for the commands that use the results topic. */
public final class ResultsTopicOption implements TopicOption {
  @Option(
      names = "--results-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_RESULTS,
      description = "Topic of EditResult records (default: ${DEFAULT-VALUE}).")
  String name = Topics.DEFAULT_RESULTS;

  @Override
  public Topics applyTo(Topics names) {
    return new Topics(names.jobs(), name, names.failures());
  }

  /**
   * {@code --results-topic}, accepted and ignored by a command that does not use it, and not listed
   * in its help: for scripts that pass one set of connection options to every command.
   */
  public static final class Ignored {
    @Option(names = "--results-topic", paramLabel = "NAME", hidden = true)
    String ignored;
  }
}
