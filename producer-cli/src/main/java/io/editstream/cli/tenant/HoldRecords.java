package io.editstream.cli.tenant;

import io.editstream.cli.Progress;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.TopicScan;
import io.editstream.schema.TenantHold;
import io.editstream.serde.SerdeException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Deserializer;

/** The holds topic read whole: the last record of each tenant, which is its state. */
final class HoldRecords {
  private HoldRecords() {}

  /**
   * Every tenant's last TenantHold on {@code topic}, by tenant. Records that do not decode are
   * skipped (a later record of the tenant still counts).
   *
   * @throws io.editstream.cli.CliFailure (exit 3) when Kafka or the registry cannot be reached or
   *     the topic is missing
   */
  static Map<String, TenantHold> read(Connection conn, String topic) {
    Deserializer<TenantHold> holds = Clients.deserializer(TenantHold.class, conn);
    Map<String, TenantHold> last = new TreeMap<>();
    SerdeException[] registryDown = {null};
    TopicScan.scan(
        conn,
        "editstream-cli-tenant",
        Clients.partitions(conn, topic, "editstream-cli-tenant-describe", "--holds-topic"),
        null,
        new Progress(System.err, false, System::nanoTime, "hold records read"),
        r -> {
          String tenant = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            last.remove(tenant);
            return;
          }
          try {
            last.put(tenant, holds.deserialize(topic, r.value()));
          } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE
                || e.reason() == SerdeException.Reason.REGISTRY_ERROR) {
              registryDown[0] = e;
            }
          }
        });
    if (registryDown[0] != null) {
      throw Clients.serdeFailure(registryDown[0], conn);
    }
    return last;
  }
}
