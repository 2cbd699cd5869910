package io.editstream.testkit;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import kafka.server.BrokerServer;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.ServerSocketFactory;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-JVM KRaft cluster (one controller, one broker) from Kafka's {@link KafkaClusterTestKit}.
 *
 * <p>The only class that touches the test kit, whose API is internal to Kafka and changes between
 * releases.
 */
final class InJvmKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InJvmKafka.class);

  // The test kit's defaults (TestKitDefaults, not on our compile classpath): node ids start at 0
  // for brokers and 3000 for controllers.
  private static final int BROKER_ID = 0;
  private static final int CONTROLLER_ID = 3000;
  private static final String BROKER_LISTENER = "EXTERNAL";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  /** Broker settings for a single-node cluster that still supports exactly-once. */
  static final Map<String, String> BROKER_CONFIG =
      Map.ofEntries(
          Map.entry("offsets.topic.replication.factor", "1"),
          // 50 partitions (the default) make the first consumer group slow to start in one JVM.
          Map.entry("offsets.topic.num.partitions", "5"),
          Map.entry("transaction.state.log.replication.factor", "1"),
          Map.entry("transaction.state.log.min.isr", "1"),
          Map.entry("transaction.state.log.num.partitions", "5"),
          Map.entry("share.coordinator.state.topic.replication.factor", "1"),
          Map.entry("share.coordinator.state.topic.min.isr", "1"),
          Map.entry("group.initial.rebalance.delay.ms", "0"),
          // A restarted broker may register only once its old session expired (default 9 s).
          Map.entry("broker.session.timeout.ms", "3000"),
          Map.entry("broker.heartbeat.interval.ms", "500"));

  private final KafkaClusterTestKit cluster;
  private final String bootstrapServers;

  private InJvmKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
    this.bootstrapServers = "127.0.0.1:" + broker().boundPort(new ListenerName(BROKER_LISTENER));
  }

  static InJvmKafka start(Path workDir) throws Exception {
    Files.createDirectories(workDir);
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(false)
            .setNumControllerNodes(1)
            .setNumBrokerNodes(1)
            // A released metadata version, not the test kit's default "latest testing" one.
            .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
            .setBaseDirectory(Files.createTempDirectory(workDir, "kafka-"))
            .setPerServerProperties(
                Map.of(
                    BROKER_ID, Map.of("listeners", BROKER_LISTENER + "://127.0.0.1:0"),
                    CONTROLLER_ID, Map.of("listeners", CONTROLLER_LISTENER + "://127.0.0.1:0")))
            .build();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
    BROKER_CONFIG.forEach(builder::setConfigProp);
    bindToLoopback(builder);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new InJvmKafka(cluster);
    } catch (Exception | Error e) {
      closeQuietly(cluster);
      throw e;
    }
  }

  /**
   * The test kit pre-binds every listener on the wildcard address before it reads our listener
   * settings; our rules allow only loopback servers, so we hand it loopback sockets instead.
   * Restarts rebind to the host of the {@code listeners} setting, which is loopback too.
   */
  private static void bindToLoopback(KafkaClusterTestKit.Builder builder) {
    try {
      Field managerField =
          KafkaClusterTestKit.Builder.class.getDeclaredField("socketFactoryManager");
      managerField.setAccessible(true);
      Object manager = managerField.get(builder);
      Field socketsField = manager.getClass().getDeclaredField("sockets");
      socketsField.setAccessible(true);
      @SuppressWarnings("unchecked")
      Map<Integer, Map<String, ServerSocketChannel>> sockets =
          (Map<Integer, Map<String, ServerSocketChannel>>) socketsField.get(manager);
      synchronized (manager) {
        sockets.computeIfAbsent(BROKER_ID, id -> new HashMap<>()).put(BROKER_LISTENER, loopback());
        sockets
            .computeIfAbsent(CONTROLLER_ID, id -> new HashMap<>())
            .put(CONTROLLER_LISTENER, loopback());
      }
    } catch (ReflectiveOperationException | RuntimeException | IOException e) {
      log.warn(
          "Could not pre-bind the in-JVM broker's listeners to 127.0.0.1 ({}); the Kafka test kit"
              + " will bind them on all interfaces",
          e.toString());
    }
  }

  private static ServerSocketChannel loopback() throws IOException {
    return ServerSocketFactory.INSTANCE.openServerSocket(
        "loopback", new InetSocketAddress("127.0.0.1", 0), -1, -1);
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** Stops the broker node; the controller and the broker's data stay. */
  void shutdownBroker() {
    broker().shutdown();
  }

  /** Starts the broker node again on the same port and waits until it serves clients. */
  void startBroker() throws Exception {
    broker().startup();
    cluster.waitForReadyBrokers();
  }

  private BrokerServer broker() {
    return cluster.brokers().get(BROKER_ID);
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the in-JVM Kafka cluster", e);
    } catch (Exception e) {
      throw new IllegalStateException("stopping the in-JVM Kafka cluster failed", e);
    }
  }

  private static void closeQuietly(KafkaClusterTestKit cluster) {
    try {
      cluster.close();
    } catch (Exception e) {
      log.warn("Failed to close a partly started in-JVM Kafka cluster", e);
    }
  }
}
