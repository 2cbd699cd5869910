package io.editstream.cli.kafka;

import picocli.CommandLine.Option;

/** The schema registry option, for the commands that (de)serialize Avro records (a mixin). */
public final class RegistryOptions {
  @Option(
      names = "--schema-registry",
      paramLabel = "URL",
      description =
          "Schema registry (Confluent API). Default: $"
              + KafkaOptions.REGISTRY_ENV
              + ", else schema.registry.url of --kafka-config, else "
              + KafkaOptions.DEFAULT_REGISTRY
              + ".")
  String schemaRegistry;

  /**
   * {@code --schema-registry}, accepted and ignored by a command that does not use it, and not
   * listed in its help: for scripts that pass one set of connection options to every command.
   */
  public static final class Ignored {
    @Option(names = "--schema-registry", paramLabel = "URL", hidden = true)
    String ignored;
  }
}
