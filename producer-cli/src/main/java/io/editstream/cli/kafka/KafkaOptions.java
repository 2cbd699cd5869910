package io.editstream.cli.kafka;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.DurationConverter;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * The Kafka connection options every command that talks to Kafka shares (a picocli mixin). A
 * command that also uses the schema registry or a topic adds {@link RegistryOptions} and the topic
 * mixins ({@link JobsTopicOption}, {@link ResultsTopicOption}, {@link FailuresTopicOption}), so its
 * help lists only options that change what it does. Precedence for the broker and registry
 * addresses: the option, then the environment variable, then the {@code --kafka-config} file, then
 * the local default.
 */
public final class KafkaOptions {
  public static final String BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS";
  public static final String REGISTRY_ENV = "SCHEMA_REGISTRY_URL";
  public static final String CONFIG_ENV = "EDITSTREAM_KAFKA_CONFIG";
  public static final String PREFIX_ENV = "EDITSTREAM_TOPIC_PREFIX";
  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
  public static final String DEFAULT_REGISTRY = "http://localhost:8081";

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description =
          "Kafka brokers. Default: $KAFKA_BOOTSTRAP_SERVERS, else bootstrap.servers of"
              + " --kafka-config, else "
              + DEFAULT_BOOTSTRAP
              + ".")
  String bootstrapServers;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Java properties for the Kafka clients (SASL/SSL: security.protocol, sasl.*, ssl.*) and,"
              + " where used, the schema registry (basic.auth.user.info, bearer.auth.token, ...)."
              + " Default: $"
              + CONFIG_ENV
              + ".")
  Path kafkaConfig;

  @Option(
      names = "--topic-prefix",
      paramLabel = "PREFIX",
      description =
          "Prefix of every topic name, as the processor's topic.prefix. Default: $"
              + PREFIX_ENV
              + ".")
  String topicPrefix;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = DurationConverter.class,
      description =
          "How long to wait for Kafka (and the schema registry, where used) to answer (default:"
              + " ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  /** {@link #resolve(CliContext, RegistryOptions, TopicOption...)} for Kafka alone. */
  public Connection resolve(CliContext context, TopicOption... topics) {
    return resolve(context, null, topics);
  }

  /**
   * Resolves the options against the environment and the config file.
   *
   * @param registry the command's registry options; null when it does not use the registry
   * @param topics the topic options the command has; a topic without one keeps its default name
   * @throws CliFailure (usage) when the config file cannot be read
   */
  public Connection resolve(CliContext context, RegistryOptions registry, TopicOption... topics) {
    Properties file = new Properties();
    Path configFile = kafkaConfig != null ? kafkaConfig : pathOrNull(context.env(CONFIG_ENV));
    if (configFile != null) {
      try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
        file.load(reader);
      } catch (IOException e) {
        throw CliFailure.usage(
            "cannot read "
                + (kafkaConfig != null ? "--kafka-config " : "$" + CONFIG_ENV + " ")
                + configFile
                + ": "
                + e.getMessage()
                + " (point it at a readable Java properties file, or leave it unset)");
      }
    }
    String bootstrap =
        first(
            bootstrapServers,
            context.env(BOOTSTRAP_ENV),
            file.getProperty("bootstrap.servers"),
            DEFAULT_BOOTSTRAP);
    String registryUrl =
        first(
            registry == null ? null : registry.schemaRegistry,
            context.env(REGISTRY_ENV),
            file.getProperty("schema.registry.url"),
            DEFAULT_REGISTRY);
    String prefix = first(topicPrefix, context.env(PREFIX_ENV), "");
    Topics names = new Topics(Topics.DEFAULT_JOBS, Topics.DEFAULT_RESULTS, Topics.DEFAULT_FAILURES);
    for (TopicOption topic : topics) {
      names = topic.applyTo(names);
    }
    Topics prefixed =
        new Topics(prefix + names.jobs(), prefix + names.results(), prefix + names.failures());
    return Connection.of(bootstrap, registryUrl, file, prefixed, connectTimeout);
  }

  /**
   * {@code name} with the topic prefix applied, as the processor applies its {@code topic.prefix}:
   * for topics only one command uses (e.g. the DLQ).
   */
  public String prefixed(CliContext context, String name) {
    return first(topicPrefix, context.env(PREFIX_ENV), "") + name;
  }

  private static Path pathOrNull(String value) {
    return value == null ? null : Path.of(value);
  }

  /** The first non-blank value; the last one is the default and may be blank. */
  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return values[values.length - 1];
  }
}
