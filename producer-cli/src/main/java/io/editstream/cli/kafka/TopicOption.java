package io.editstream.cli.kafka;

/**
 * A topic-name option a command has (a picocli mixin each), so a command lists only the topics it
 * reads or writes. The name is given without the topic prefix.
 */
public sealed interface TopicOption
    permits JobsTopicOption, ResultsTopicOption, FailuresTopicOption {
  /** {@code names} with this option's topic set. */
  Topics applyTo(Topics names);
}
