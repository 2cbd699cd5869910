package io.editstream.cli.kafka;

import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.serde.AvroSerdes;
import io.editstream.serde.SerdeException;
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

  /** An admin client; call {@link #checkReachable} before relying on it. */
  public static Admin admin(Connection conn, String clientId) {
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
   * topic and the option to check, when it does not exist.
   */
  public static List<TopicPartition> partitions(Connection conn, String topic, String clientId) {
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
        throw CliFailure.infra(
            "topic "
                + topic
                + " not found on "
                + conn.bootstrapServers()
                + " (right --topic-prefix?)",
            e);
      }
      throw CliFailure.infra("cannot describe " + topic + ": " + EditstreamCli.rootMessage(e), e);
    } catch (TimeoutException e) {
      throw CliFailure.infra("Kafka did not describe " + topic + " in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    }
  }

  static int timeoutMs(Duration d) {
    return (int) Math.max(1000, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }
}
