package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
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
 * edit-jobs ─ decode ─┬─ undecodable ───────────────────────────────► edit-jobs-dlq
 *                     └─ by jobId ─ repartition ─ jobs (pending store) ─┬─ EditResult ─► edit-results
 *                                                                       └─ EditFailure ► edit-failures
 * </pre>
 *
 * A job the dedup cache answers without I/O crosses the repartition hop as its (small) result, not
 * as the job; the jobs step still guarantees one outcome per jobId ({@link DecodeProcessor}).
 */
public final class EditstreamTopology {

  private EditstreamTopology() {}

  public static Topology build(
      StreamsBuilder builder,
      ProcessorConfig.Topics topics,
      ModelIds models,
      TopologySerdes serdes,
      JobRuntime runtime) {

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
                        models),
                Named.as("decode"));

    decoded
        .split(Named.as("decoded-"))
        .branch(
            (key, value) -> value.dlq(),
            Branched.withConsumer(
                dlq ->
                    dlq.mapValues(Decoded::bytes, Named.as("dlq-bytes"))
                        .to(
                            topics.dlq(),
                            Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                                .withName("dlq-out")),
                "dlq"))
        .defaultBranch(
            Branched.withConsumer(
                ok -> {
                  // Repartition by jobId so that every record of one job meets in one task,
                  // where the stores turn duplicates into a single outcome.
                  KStream<String, SpecificRecord> outcomes =
                      ok.mapValues(Decoded::bytes, Named.as("job-bytes"))
                          .repartition(
                              Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray())
                                  .withName("jobs-by-id"))
                          .process(
                              () ->
                                  new JobProcessor(
                                      runtime,
                                      serdes.jobs(),
                                      serdes.results().deserializer(),
                                      topics.results(),
                                      models),
                              Named.as("jobs"),
                              JobProcessor.PENDING_STORE,
                              JobProcessor.COMPLETED_STORE);
                  outcomes
                      .split(Named.as("outcome-"))
                      .branch(
                          (key, value) -> value instanceof EditResult,
                          Branched.withConsumer(
                              results ->
                                  results
                                      .mapValues(v -> (EditResult) v, Named.as("as-result"))
                                      .to(
                                          topics.results(),
                                          Produced.with(Serdes.String(), serdes.results())
                                              .withName("results-out")),
                              "result"))
                      .defaultBranch(
                          Branched.withConsumer(
                              failures ->
                                  failures
                                      .mapValues(v -> (EditFailure) v, Named.as("as-failure"))
                                      .to(
                                          topics.failures(),
                                          Produced.with(Serdes.String(), serdes.failures())
                                              .withName("failures-out")),
                              "failure"));
                },
                "job"));

    return builder.build();
  }
}
