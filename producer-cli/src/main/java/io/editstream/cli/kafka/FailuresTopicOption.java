package io.editstream.cli.kafka;

import picocli.CommandLine.Option;

/** {@code --failures-topic} (a mixin), for the commands that use the failures topic. */
public final class FailuresTopicOption implements TopicOption {
  @Option(
      names = "--failures-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_FAILURES,
      description = "Topic of EditFailure records (default: ${DEFAULT-VALUE}).")
  String name = Topics.DEFAULT_FAILURES;

  @Override
  public Topics applyTo(Topics names) {
    return new Topics(names.jobs(), names.results(), name);
  }

  /**
   * {@code --failures-topic}, accepted and ignored by a command that does not use it, and not
   * listed in its help: for scripts that pass one set of connection options to every command.
   */
  public static final class Ignored {
    @Option(names = "--failures-topic", paramLabel = "NAME", hidden = true)
    String ignored;
  }
}
