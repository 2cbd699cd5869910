package io.editstream.processor.topology;

import io.editstream.schema.TenantHold;
import java.time.Duration;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of the holds topic (tenant → the TenantHold record's bytes) and this
 * instance's {@link TenantHolds} in step with it: on start-up from the restored store, then record
 * by record. Runs on the global stream thread, whose death would stop the instance, so a record
 * that does not decode is logged and skipped.
 */
final class HoldsReader implements Processor<String, byte[], Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(HoldsReader.class);

  /** tenant → TenantHold (registry-framed Avro), the whole holds topic on every instance. */
  static final String STORE = "tenant-holds";

  private final Deserializer<TenantHold> holdsSerde;
  private final TenantHolds holds;
  private final String topic;
  private KeyValueStore<String, byte[]> store;

  HoldsReader(Deserializer<TenantHold> holdsSerde, TenantHolds holds, String topic) {
    this.holdsSerde = holdsSerde;
    this.holds = holds;
    this.topic = topic;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(STORE);
    int n = 0;
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        TenantHolds.Hold hold = decode(kv.key, kv.value);
        if (hold != null) {
          holds.update(hold);
          n++;
        }
      }
    }
    log.info(
        "{} tenant hold record(s) read from {}; held now: {}", n, topic, holds.held().keySet());
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String tenant = record.key() == null ? "" : record.key();
    if (record.value() == null) {
      store.delete(tenant);
      holds.forget(tenant);
      return;
    }
    TenantHolds.Hold hold = decode(tenant, record.value());
    if (hold == null) {
      return;
    }
    store.put(tenant, record.value());
    holds.update(hold);
  }

  private TenantHolds.Hold decode(String key, byte[] value) {
    try {
      TenantHold h = holdsSerde.deserialize(topic, value);
      if (!key.equals(h.getTenant())) {
        log.warn(
            "Record of {} keyed '{}' names tenant '{}': skipped (the key must be the tenant)",
            topic,
            key,
            h.getTenant());
        return null;
      }
      return new TenantHolds.Hold(
          h.getTenant(),
          h.getHeld(),
          h.getAt().toEpochMilli(),
          h.getStrikes(),
          Duration.ofMillis(h.getWindowMs()),
          h.getJobIds(),
          h.getBy(),
          h.getReason());
    } catch (RuntimeException e) {
      log.warn(
          "Record of {} for tenant '{}' skipped: it does not decode as a TenantHold ({})",
          topic,
          key,
          e.getMessage());
      return null;
    }
  }
}
