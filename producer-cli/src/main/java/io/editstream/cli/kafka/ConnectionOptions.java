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
 * The connection options every command shares (a picocli mixin). Precedence for the broker and
 * registry addresses: the option, then the environment variable, then the {@code --kafka-config}
 * file, then the local default.
 */
public final class ConnectionOptions {
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
      names = "--schema-registry",
      paramLabel = "URL",
      description =
          "Schema registry (Confluent API). Default: $SCHEMA_REGISTRY_URL, else"
              + " schema.registry.url of --kafka-config, else "
              + DEFAULT_REGISTRY
              + ".")
  String schemaRegistry;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "Java properties for the Kafka clients (SASL/SSL: security.protocol, sasl.*, ssl.*) and"
              + " the registry (basic.auth.user.info, bearer.auth.token, ...). Default: $"
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
      names = "--jobs-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_JOBS,
      description = "Topic of EditJob records (default: ${DEFAULT-VALUE}).")
  String jobsTopic;

  @Option(
      names = "--results-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_RESULTS,
      description = "Topic of EditResult records (default: ${DEFAULT-VALUE}).")
  String resultsTopic;

  @Option(
      names = "--failures-topic",
      paramLabel = "NAME",
      defaultValue = Topics.DEFAULT_FAILURES,
      description = "Topic of EditFailure records (default: ${DEFAULT-VALUE}).")
  String failuresTopic;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = DurationConverter.class,
      description =
          "How long to wait for Kafka and the registry to answer (default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  /**
   * Resolves the options against the environment and the config file.
   *
   * @throws CliFailure (usage) when the config file cannot be read
   */
  public Connection resolve(CliContext context) {
    Properties file = new Properties();
    Path configFile = kafkaConfig != null ? kafkaConfig : pathOrNull(context.env(CONFIG_ENV));
    if (configFile != null) {
      try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
        file.load(reader);
      } catch (IOException e) {
        throw CliFailure.usage("cannot read --kafka-config " + configFile + ": " + e.getMessage());
      }
    }
    String bootstrap =
        first(
            bootstrapServers,
            context.env(BOOTSTRAP_ENV),
            file.getProperty("bootstrap.servers"),
            DEFAULT_BOOTSTRAP);
    String registry =
        first(
            schemaRegistry,
            context.env(REGISTRY_ENV),
            file.getProperty("schema.registry.url"),
            DEFAULT_REGISTRY);
    String prefix = first(topicPrefix, context.env(PREFIX_ENV), "");
    Topics topics = new Topics(prefix + jobsTopic, prefix + resultsTopic, prefix + failuresTopic);
    return Connection.of(bootstrap, registry, file, topics, connectTimeout);
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
