package io.editstream.cli.kafka;

import picocli.CommandLine.Option;

/** {@code --jobs-topic} (a mixin), for the commands that use the jobs topic. */
public final class JobsTopicOption implements TopicOption {
  @Option(
      names = "--jobs-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_JOBS,
      description = "Topic of EditJob records (default: ${DEFAULT-VALUE}).")
  String name = Topics.DEFAULT_JOBS;

  @Override
  public Topics applyTo(Topics names) {
    return new Topics(name, names.results(), names.failures());
  }

  /**
   * {@code --jobs-topic}, accepted and ignored by a command that does not use it, and not listed in
   * its help: for scripts that pass one set of connection options to every command.
   */
  public static final class Ignored {
    @Option(names = "--jobs-topic", paramLabel = "NAME", hidden = true)
    String ignored;
  }
}
