package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor's topology as a pure function of its inputs (DESIGN.md §1):
 *
 * <pre>
 * edit-jobs ─ decode ─┬─ undecodable ─────────────────────────────────────► edit-jobs-dlq
 *                     ├─ keyed by jobId, in its partition ──┐
 *                     └─ other keys ─ repartition by jobId ─┴─ jobs (pending store) ─┬─ EditResult ─► edit-results
 *                                                                                   └─ EditFailure ► edit-failures
 *                                                                                        │ safety blocks only
 *                         edit-tenant-holds ◄─ strikes (store) ◄─ repartition by tenant ─┘
 *                               │
 *                               └─► every instance: global store tenant-holds → TenantHolds → jobs
 * </pre>
 *
 * A job the dedup cache answers without I/O goes on as its (small) result, not as the job; the jobs
 * step still guarantees one outcome per jobId ({@link DecodeProcessor}). With {@code
 * directPartitions} = the input topic's partition count, a record keyed by its jobId in the
 * partition that key maps to skips the hop (one exactly-once commit less); 0 sends every record
 * over the hop.
 *
 * <p>The strike counter is built only when {@code runtime.holds()} counts strikes
 * (safety.strikes.threshold above 0); the holds topic is read either way, so a hold written there
 * by other means is still obeyed.
 */
public final class EditstreamTopology {

  /** The store of accepted jobs (changelogged), keyed by jobId: where a job's partition lives. */
  public static final String PENDING_STORE = JobProcessor.PENDING_STORE;

  /** jobId → the time its outcome was emitted, kept for 7 days (queryable). */
  public static final String COMPLETED_STORE = JobProcessor.COMPLETED_STORE;

  private EditstreamTopology() {}

  public static Topology build(
      StreamsBuilder builder,
      ProcessorConfig.Topics topics,
      ModelIds models,
      TopologySerdes serdes,
      JobRuntime runtime,
      int directPartitions) {

    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.PENDING_STORE),
            Serdes.String(),
            Serdes.ByteArray()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.COMPLETED_STORE),
            Serdes.String(),
            Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.CANCELLED_STORE),
            Serdes.String(),
            Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.RPD_STORE),
            Serdes.String(),
            Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.SPEND_STORE),
            Serdes.String(),
            Serdes.Long()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(JobProcessor.HISTORY_STORE),
            Serdes.String(),
            Serdes.Long()));

    // Raw bytes in: a record that does not decode must still reach the DLQ unchanged.
    KStream<byte[], Decoded> decoded =
        builder.stream(
                topics.jobs(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("jobs-in"))
            .process(
                () ->
                    new DecodeProcessor(
                        serdes.jobs(),
                        serdes.transientDecodeError(),
                        runtime,
                        serdes.results().serializer(),
                        topics.results(),
                        models,
                        directPartitions),
                Named.as("decode"));

    Map<String, KStream<byte[], Decoded>> routes =
        decoded
            .split(Named.as("decoded-"))
            .branch((key, value) -> value.dlq(), Branched.as("dlq"))
            .branch((key, value) -> value.direct(), Branched.as("direct"))
            .defaultBranch(Branched.as("job"));
    routes
        .get("decoded-dlq")
        .mapValues(Decoded::bytes, Named.as("dlq-bytes"))
        .to(
            topics.dlq(),
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dlq-out"));

    // Repartition by jobId so that every record of one job meets in one task, where the stores
    // turn duplicates into a single outcome. A record already in its jobId's partition skips the
    // hop: the job task of that partition reads both, so both paths meet the same stores.
    KStream<byte[], byte[]> toJobs =
        routes
            .get("decoded-job")
            .mapValues(Decoded::bytes, Named.as("job-bytes"))
            .repartition(
                Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("jobs-by-id"));
    // Cancel requests are keyed by jobId with the default partitioner, like the hop: partition p
    // of both belongs to the job task p (start-up checks the partition counts are equal).
    KStream<byte[], byte[]> cancels =
        builder.stream(
                topics.cancel(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("cancel-in"))
            .processValues(CancelMarker::new, Named.as("cancel-mark"));
    toJobs = toJobs.merge(cancels, Named.as("jobs-and-cancels"));
    if (directPartitions > 0) {
      toJobs =
          routes
              .get("decoded-direct")
              .mapValues(Decoded::bytes, Named.as("direct-bytes"))
              .merge(toJobs, Named.as("jobs-merged"));
    }
    KStream<String, SpecificRecord> outcomes =
        toJobs.process(
            () ->
                new JobProcessor(
                    runtime,
                    serdes.jobs(),
                    serdes.results().deserializer(),
                    serdes.cancels(),
                    topics.results(),
                    models),
            Named.as("jobs"),
            JobProcessor.PENDING_STORE,
            JobProcessor.COMPLETED_STORE,
            JobProcessor.CANCELLED_STORE,
            JobProcessor.RPD_STORE,
            JobProcessor.SPEND_STORE,
            JobProcessor.HISTORY_STORE);
    // The job processor forwards each outcome to the child named for its kind; the casts only
    // narrow the DSL's value type, they never choose a route.
    outcomes
        .mapValues(v -> (EditResult) v, Named.as(JobProcessor.RESULTS))
        .to(
            topics.results(),
            Produced.with(Serdes.String(), serdes.results()).withName("results-out"));
    KStream<String, EditFailure> failures =
        outcomes.mapValues(v -> (EditFailure) v, Named.as(JobProcessor.FAILURES));
    failures.to(
        topics.failures(),
        Produced.with(Serdes.String(), serdes.failures()).withName("failures-out"));
    if (runtime.holds().policy().counting()) {
      countStrikes(builder, failures, topics, serdes, runtime);
    }

    // Every instance reads every tenant's hold: the jobs of any tenant may be in any task. Added
    // last: Kafka Streams numbers sub-topologies (a global one too) in the order their sources
    // were added, so the job tasks keep their ids and state directories.
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(HoldsReader.STORE),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled(), // the holds topic is its changelog
        topics.holds(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("tenant-holds-in"),
        () -> new HoldsReader(serdes.holds().deserializer(), runtime.holds(), topics.holds()));

    return builder.build();
  }

  /** Safety blocks, counted per tenant over every instance, hold a tenant at the threshold. */
  private static void countStrikes(
      StreamsBuilder builder,
      KStream<String, EditFailure> failures,
      ProcessorConfig.Topics topics,
      TopologySerdes serdes,
      JobRuntime runtime) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(StrikeCounter.STORE),
            Serdes.String(),
            Serdes.ByteArray()));
    failures
        .filter((jobId, f) -> isSafetyBlock(f.getCode()), Named.as("safety-blocks"))
        .map((jobId, f) -> KeyValue.pair(f.getTenant(), jobId), Named.as("strike-by-tenant"))
        // All strikes of a tenant meet in one task, whichever instance's job task emitted them.
        .repartition(Repartitioned.with(Serdes.String(), Serdes.String()).withName("strikes"))
        .process(
            () -> new StrikeCounter(runtime.holds(), runtime.metrics()),
            Named.as("strike-counter"),
            StrikeCounter.STORE)
        .to(topics.holds(), Produced.with(Serdes.String(), serdes.holds()).withName("holds-out"));
  }

  /** The outcomes that count as a safety strike of the job's tenant. */
  static boolean isSafetyBlock(FailureCode code) {
    return code == FailureCode.PROMPT_BLOCKED || code == FailureCode.IMAGE_SAFETY;
  }
}
