package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig.SafetyStrikes;
import io.editstream.schema.TenantHold;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts each tenant's safety outcomes (records keyed by tenant, valued by jobId, timed by their
 * outcome) over the sliding window, and writes a hold for the tenant to the holds topic when they
 * reach the threshold. All of a tenant's strikes meet in one task (the repartition by tenant), so
 * the count covers every instance, and its store is changelogged, so it survives restarts and
 * moves. A release on the holds topic (read through {@link TenantHolds}) forgives every strike
 * before it.
 */
final class StrikeCounter implements Processor<String, String, String, TenantHold> {
  private static final Logger log = LoggerFactory.getLogger(StrikeCounter.class);

  /** tenant → {@link TenantStrikes}. */
  static final String STORE = "safety-strikes";

  private final TenantHolds holds;
  private final TopologyMetrics metrics;
  private ProcessorContext<String, TenantHold> context;
  private KeyValueStore<String, byte[]> store;

  StrikeCounter(TenantHolds holds, TopologyMetrics metrics) {
    this.holds = holds;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, TenantHold> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
  }

  @Override
  public void process(Record<String, String> record) {
    String tenant = record.key() == null ? "" : record.key();
    SafetyStrikes policy = holds.policy();
    byte[] raw = store.get(tenant);
    TenantStrikes before = raw == null ? TenantStrikes.NONE : TenantStrikes.decode(raw);
    TenantHolds.Hold last = holds.hold(tenant).orElse(null);
    TenantStrikes.Counted counted =
        before.count(
            new TenantStrikes.Strike(record.timestamp(), record.value()),
            last != null && !last.held() ? last.atMs() : 0,
            last != null && last.held(),
            policy.threshold(),
            policy.window().toMillis());
    store.put(tenant, counted.state().encode());
    metrics.strike(tenant);
    if (!counted.holdNow()) {
      return;
    }
    List<String> jobIds =
        counted.state().strikes().stream().map(TenantStrikes.Strike::jobId).toList();
    TenantHold hold =
        TenantHold.newBuilder()
            .setTenant(tenant)
            .setHeld(true)
            .setAt(Instant.ofEpochMilli(record.timestamp()))
            .setStrikes(jobIds.size())
            .setWindowMs(policy.window().toMillis())
            .setJobIds(jobIds)
            .setBy(context.applicationId())
            .setReason(
                jobIds.size()
                    + " safety blocks (PROMPT_BLOCKED, IMAGE_SAFETY) within "
                    + policy.window()
                    + " reached safety.strikes.threshold="
                    + policy.threshold())
            .build();
    context.forward(new Record<>(tenant, hold, record.timestamp()));
    metrics.tenantHeld(tenant);
    log.warn(
        "Task {}: tenant '{}' reached {} safety blocks within {} (jobs {}): holding it",
        context.taskId(),
        tenant,
        jobIds.size(),
        policy.window(),
        jobIds);
  }
}
