package io.editstream.testkit;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Kafka broker for tests, started at most once per JVM and stopped by a JVM shutdown hook.
 *
 * <p>Chosen in this order: the cluster at {@code KAFKA_BOOTSTRAP_SERVERS} (extra client settings
 * from {@code KAFKA_CLIENT_*} variables, e.g. {@code KAFKA_CLIENT_SECURITY_PROTOCOL}); a
 * Testcontainers {@code apache/kafka} container when Docker is available (and {@code
 * EDITSTREAM_TEST_DOCKER} is not {@code false}); otherwise an in-JVM KRaft broker. Every choice
 * supports transactions (internal topics have replication factor 1 and min ISR 1 on the ones this
 * class starts). Tests share the broker, so each test must use its own topics and application ids
 * (see {@link TestTopics}).
 */
public final class KafkaBroker {
  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

  static final String BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS";
  static final String CLIENT_ENV_PREFIX = "KAFKA_CLIENT_";
  static final String IMAGE_SETTING = "EDITSTREAM_KAFKA_IMAGE";
  static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

  /** Network alias and listener under which other containers reach the container broker. */
  static final String NETWORK_ALIAS = "editstream-kafka";

  static final String NETWORK_BOOTSTRAP = NETWORK_ALIAS + ":19092";
  private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

  private static KafkaBroker shared;
  private static RuntimeException startFailure;

  private final String description;
  private final Map<String, Object> clientConfig;
  private final InJvmKafka inJvm;
  private final KafkaContainer container;
  private final AutoCloseable resource;
  private Admin admin;

  private KafkaBroker(
      String description,
      Map<String, Object> clientConfig,
      InJvmKafka inJvm,
      KafkaContainer container,
      AutoCloseable resource) {
    this.description = description;
    this.clientConfig = Map.copyOf(clientConfig);
    this.inJvm = inJvm;
    this.container = container;
    this.resource = resource;
  }

  /**
   * The JVM's broker, started on first use. If starting fails, this and every later call throw
   * {@link IllegalStateException} with the cause, without trying again.
   */
  public static synchronized KafkaBroker shared() {
    if (shared != null) {
      return shared;
    }
    if (startFailure != null) {
      throw new IllegalStateException(
          "The shared Kafka broker failed to start earlier in this JVM: "
              + startFailure.getMessage(),
          startFailure);
    }
    try {
      shared = start();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      startFailure = new IllegalStateException("Could not start a Kafka broker for tests", e);
      throw startFailure;
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(shared::close, "editstream-testkit-kafka-shutdown"));
    return shared;
  }

  private static KafkaBroker start() throws Exception {
    long begin = System.nanoTime();
    KafkaBroker broker;
    String external = Settings.get(BOOTSTRAP_ENV);
    if (external != null) {
      broker = startExternal(external);
    } else if (Docker.available()) {
      broker = startContainer();
    } else {
      broker = startInJvm();
    }
    log.info(
        "Kafka broker for tests: {} at {} (ready in {} ms)",
        broker.description,
        broker.bootstrapServers(),
        (System.nanoTime() - begin) / 1_000_000);
    return broker;
  }

  private static KafkaBroker startExternal(String bootstrapServers) {
    Map<String, Object> config = externalClientConfig(bootstrapServers, System.getenv());
    // Keys only: values may hold credentials (sasl.jaas.config).
    String description =
        "external (" + BOOTSTRAP_ENV + ")" + (config.size() > 1 ? " with " + config.keySet() : "");
    return new KafkaBroker(description, config, null, null, () -> {});
  }

  /** {@code KAFKA_CLIENT_SASL_JAAS_CONFIG=...} becomes {@code sasl.jaas.config=...}, and so on. */
  static Map<String, Object> externalClientConfig(
      String bootstrapServers, Map<String, String> environment) {
    Map<String, Object> config = new HashMap<>();
    environment.forEach(
        (name, value) -> {
          if (name.startsWith(CLIENT_ENV_PREFIX) && name.length() > CLIENT_ENV_PREFIX.length()) {
            String key =
                name.substring(CLIENT_ENV_PREFIX.length())
                    .toLowerCase(Locale.ROOT)
                    .replace('_', '.');
            config.put(key, value);
          }
        });
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return config;
  }

  private static KafkaBroker startContainer() {
    String image = Objects.requireNonNullElse(Settings.get(IMAGE_SETTING), DEFAULT_IMAGE);
    KafkaContainer container =
        new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
            .withNetwork(Network.SHARED)
            .withNetworkAliases(NETWORK_ALIAS)
            .withListener(NETWORK_BOOTSTRAP)
            .withEnv("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "5")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "5");
    container.start();
    return new KafkaBroker(
        "Testcontainers " + image,
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, container.getBootstrapServers()),
        null,
        container,
        container::stop);
  }

  private static KafkaBroker startInJvm() throws Exception {
    InJvmKafka kafka = InJvmKafka.start(WorkDirs.root().resolve("kafka"));
    return new KafkaBroker(
        "in-JVM KRaft (KafkaClusterTestKit)",
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        kafka,
        null,
        kafka);
  }

  /** Comma-separated {@code host:port} list for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return (String) clientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
  }

  /**
   * Settings every client needs: {@code bootstrap.servers} plus security settings, if any. Returns
   * a new mutable map on each call, so callers may add their own settings.
   */
  public Map<String, Object> clientConfig() {
    return new HashMap<>(clientConfig);
  }

  /**
   * The client configuration as string settings under {@code prefix}, bootstrap servers included:
   * {@code settings("kafka.")} is what a processor's settings need to reach this broker.
   */
  public Map<String, String> settings(String prefix) {
    Map<String, String> s = new java.util.TreeMap<>();
    clientConfig.forEach((k, v) -> s.put(prefix + k, String.valueOf(v)));
    s.put(prefix + "bootstrap.servers", bootstrapServers());
    return s;
  }

  /** Which broker this is, e.g. "in-JVM KRaft (KafkaClusterTestKit)"; never holds secrets. */
  public String description() {
    return description;
  }

  /** Creates a topic with the broker's default replication factor and waits until it is usable. */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  /**
   * Creates a topic with the given topic configs and waits until every partition has a leader. An
   * existing topic with the same partition count is accepted; a different count is an error.
   */
  public void createTopic(String name, int partitions, Map<String, String> configs) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(configs, "configs");
    if (partitions < 1) {
      throw new IllegalArgumentException(
          "partitions must be at least 1 for topic " + name + ", was " + partitions);
    }
    NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
    try {
      try {
        admin()
            .createTopics(List.of(topic))
            .all()
            .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      awaitLeaders(name, partitions);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topic " + name, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Could not create topic " + name + " on " + description + ": " + rootMessage(e), e);
    }
  }

  /** Metadata reaches the broker shortly after the controller has created the topic. */
  private void awaitLeaders(String name, int partitions)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TOPIC_TIMEOUT.toNanos();
    while (true) {
      try {
        TopicDescription description =
            admin()
                .describeTopics(List.of(name))
                .topicNameValues()
                .get(name)
                .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (description.partitions().size() != partitions) {
          throw new IllegalStateException(
              "Topic "
                  + name
                  + " already exists with "
                  + description.partitions().size()
                  + " partitions, not "
                  + partitions);
        }
        if (description.partitions().stream().allMatch(p -> p.leader() != null)) {
          // The metadata can name a leader before that broker serves the partition; listing
          // offsets asks each leader itself (the admin client retries until it answers).
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          description
              .partitions()
              .forEach(
                  p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest()));
          admin().listOffsets(latest).all().get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("partitions of " + name + " have no leader yet");
      }
      Thread.sleep(20);
    }
  }

  /**
   * Whether {@link #restart()}, {@link #shutdownBroker()} and {@link #startBroker()} work: only on
   * the in-JVM broker.
   */
  public boolean supportsRestart() {
    return inJvm != null;
  }

  /**
   * Stops the broker node, keeping its data, its port and the KRaft controller; clients see
   * connection failures until {@link #startBroker()}. Affects every test in this JVM.
   *
   * @throws UnsupportedOperationException unless {@link #supportsRestart()}
   */
  public void shutdownBroker() {
    requireRestartable().shutdownBroker();
  }

  /**
   * Starts the broker node stopped by {@link #shutdownBroker()} on the same port, and waits until
   * the controller sees it ready.
   *
   * @throws UnsupportedOperationException unless {@link #supportsRestart()}
   */
  public void startBroker() {
    InJvmKafka kafka = requireRestartable();
    try {
      kafka.startBroker();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting the broker", e);
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the broker again: " + rootMessage(e), e);
    }
  }

  /** {@link #shutdownBroker()} then {@link #startBroker()}: same data, same port. */
  public void restart() {
    long begin = System.nanoTime();
    shutdownBroker();
    long stopped = System.nanoTime();
    startBroker();
    log.info(
        "Restarted the in-JVM broker: stopped in {} ms, started in {} ms",
        (stopped - begin) / 1_000_000,
        (System.nanoTime() - stopped) / 1_000_000);
  }

  private InJvmKafka requireRestartable() {
    if (inJvm == null) {
      throw new UnsupportedOperationException(
          "Only the in-JVM broker can be restarted; this one is " + description);
    }
    return inJvm;
  }

  /** The container, for a schema registry container on the same Docker network; else empty. */
  Optional<KafkaContainer> container() {
    return Optional.ofNullable(container);
  }

  private synchronized Admin admin() {
    if (admin == null) {
      Map<String, Object> config = clientConfig();
      config.put(AdminClientConfig.CLIENT_ID_CONFIG, "editstream-testkit-admin");
      admin = Admin.create(config);
    }
    return admin;
  }

  private void close() {
    long begin = System.nanoTime();
    synchronized (this) {
      if (admin != null) {
        admin.close(Duration.ofSeconds(5));
      }
    }
    try {
      resource.close();
      log.info(
          "Stopped Kafka broker ({}) in {} ms",
          description,
          (System.nanoTime() - begin) / 1_000_000);
    } catch (Exception e) {
      log.warn("Failed to stop Kafka broker ({})", description, e);
    }
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
