package io.editstream.cli.kafka;

import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.serde.AvroSerdes;
import io.editstream.serde.SerdeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka clients and serdes for the commands, with failures turned into exit code 3. */
public final class Clients {
  private Clients() {}

  /**
   * An admin client; call {@link #checkReachable} before relying on it. Fails at once (exit code 3,
   * naming {@code --bootstrap-servers}) when no bootstrap address resolves or accepts a TCP
   * connection: Kafka's clients would retry until the timeout, or throw a bare configuration error.
   */
  public static Admin admin(Connection conn, String clientId) {
    probeBootstrap(conn);
    Map<String, Object> config = conn.kafkaClient();
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
    int ms = timeoutMs(conn.timeout());
    config.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    config.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
    return Admin.create(config);
  }

  /**
   * Fails with exit code 3, naming the address, unless the cluster answers within the connect
   * timeout.
   */
  public static void checkReachable(Admin admin, Connection conn) {
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs(conn.timeout())))
          .clusterId()
          .get(conn.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted while connecting to Kafka", e);
    } catch (ExecutionException | TimeoutException e) {
      throw CliFailure.infra(
          "cannot reach Kafka at "
              + conn.bootstrapServers()
              + " within "
              + conn.timeout().toSeconds()
              + " s: "
              + EditstreamCli.rootMessage(e)
              + " (set --bootstrap-servers or $"
              + KafkaOptions.BOOTSTRAP_ENV
              + "; --connect-timeout to wait longer)",
          e);
    }
  }

  /**
   * Connects to each bootstrap address (TCP only, as long as the connect timeout but at most 5 s
   * each) until one answers; throws when none does, saying why for each.
   */
  static void probeBootstrap(Connection conn) {
    int ms = Math.min(5_000, timeoutMs(conn.timeout()));
    List<String> why = new ArrayList<>();
    for (String address : conn.bootstrapServers().split(",")) {
      String a = address.strip();
      int colon = a.lastIndexOf(':');
      String host = colon > 0 ? a.substring(0, colon).replaceAll("^\\[|\\]$", "") : a;
      int port;
      try {
        port = Integer.parseInt(a.substring(colon + 1));
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        why.add(a + ": not HOST:PORT");
        continue;
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), ms);
        return;
      } catch (IOException | IllegalArgumentException e) {
        String reason =
            e instanceof java.net.UnknownHostException
                    || (e.getMessage() == null && !(e instanceof java.net.SocketTimeoutException))
                ? "unknown host"
                : e.getMessage();
        why.add(a + ": " + reason);
      }
    }
    throw CliFailure.infra(
        "cannot reach Kafka at "
            + conn.bootstrapServers()
            + ": "
            + String.join("; ", why)
            + " (set --bootstrap-servers or $"
            + KafkaOptions.BOOTSTRAP_ENV
            + " to the brokers' HOST:PORT)",
        null);
  }

  public static <T extends SpecificRecord> Serializer<T> serializer(
      Class<T> type, Connection conn) {
    return AvroSerdes.valueSerde(type, conn.registryConfig()).serializer();
  }

  public static <T extends SpecificRecord> Deserializer<T> deserializer(
      Class<T> type, Connection conn) {
    return AvroSerdes.valueSerde(type, conn.registryConfig()).deserializer();
  }

  /** A serde failure as a user-facing failure: registry problems are exit code 3. */
  public static CliFailure serdeFailure(SerdeException e, Connection conn) {
    return CliFailure.infra(
        "schema registry at "
            + Connection.redact(conn.registryUrl())
            + ": "
            + e.getMessage()
            + " (set --schema-registry or $"
            + KafkaOptions.REGISTRY_ENV
            + "; credentials in --kafka-config)",
        e);
  }

  /**
   * A transactional, idempotent producer ({@code acks=all}); call {@code initTransactions()}, which
   * fences an earlier producer with the same {@code transactionalId} and aborts its open
   * transaction.
   */
  public static <K, V> KafkaProducer<K, V> transactionalProducer(
      Connection conn,
      String clientId,
      String transactionalId,
      Serializer<K> keys,
      Serializer<V> values) {
    Map<String, Object> config = conn.kafkaClient();
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs(conn.timeout()));
    return new KafkaProducer<>(config, keys, values);
  }

  /**
   * The partitions of {@code topic}, after checking that Kafka answers; exit code 3, naming the
   * topic and the options to check ({@code --topic-prefix} and {@code topicOption}), when it does
   * not exist.
   */
  public static List<TopicPartition> partitions(
      Connection conn, String topic, String clientId, String topicOption) {
    try (Admin admin = admin(conn, clientId)) {
      checkReachable(admin, conn);
      List<TopicPartition> out = new ArrayList<>();
      admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(conn.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .get(topic)
          .partitions()
          .forEach(p -> out.add(new TopicPartition(topic, p.partition())));
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw CliFailure.infra(missingTopic(List.of(topic), conn, topicOption), e);
      }
      throw CliFailure.infra("cannot describe " + topic + ": " + EditstreamCli.rootMessage(e), e);
    } catch (TimeoutException e) {
      throw CliFailure.infra("Kafka did not describe " + topic + " in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    }
  }

  /**
   * "topic … not found", with what to check: the processor creates its topics when it starts, so
   * either it has not run against this cluster yet or the names differ from its settings.
   */
  public static String missingTopic(List<String> topics, Connection conn, String topicOptions) {
    return (topics.size() == 1 ? "topic " + topics.get(0) : "topics " + String.join(", ", topics))
        + " not found on "
        + conn.bootstrapServers()
        + " (the processor creates its topics when it starts: has it run against this cluster?"
        + " Else set --topic-prefix and "
        + topicOptions
        + " to the processor's topic.prefix and topic names)";
  }

  static int timeoutMs(Duration d) {
    return (int) Math.max(1000, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }
}
