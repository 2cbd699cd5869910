package io.editstream.cli.kafka;

import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.serde.AvroSerdes;
import io.editstream.serde.SerdeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
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
              + EditstreamCli.rootMessage(e),
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
        "schema registry at " + Connection.redact(conn.registryUrl()) + ": " + e.getMessage(), e);
  }

  static int timeoutMs(Duration d) {
    return (int) Math.max(1000, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }
}
