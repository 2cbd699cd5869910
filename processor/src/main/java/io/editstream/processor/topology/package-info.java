/**
 * The Kafka Streams topology, built by a pure function of its inputs ({@link
 * io.editstream.processor.topology.EditstreamTopology#build}), so tests drive it with {@code
 * TopologyTestDriver} and the real processor runs the same graph.
 *
 * <p>Step 1 ({@code DecodeProcessor}) decodes each job, sends what cannot be decoded to the DLQ and
 * re-keys by jobId (no repartition hop for a record the producer keyed by jobId, so that it is
 * already in its jobId's partition, with {@code jobs.direct.when.keyed.by.jobid} on). Steps 2-8
 * ({@code JobProcessor}) accept a job into the changelogged pending store, wait for quota through
 * the task's {@link io.editstream.processor.throttle.TaskGate}, run the attempt through the {@link
 * io.editstream.processor.topology.Dispatcher} off the stream thread, and emit exactly one result
 * or failure per job in the transaction that removes it from the store. {@code TaskJobs} owns a
 * task's jobs and their {@link io.editstream.processor.topology.JobState}; the batch lane, tenant
 * holds and spend caps live beside it. Public: {@code EditstreamTopology}, the {@code Dispatcher}
 * SPI and {@code JobState}; what the processor's start-up wiring passes in ({@code JobRuntime},
 * {@code BatchSettings}, {@code TopologySerdes}, {@code Backoff}, {@code TopologyMetrics}); and
 * what the HTTP endpoints read ({@code JobDirectory}, {@code LiveJob}, {@code TenantHolds}). The
 * rest is package-private.
 */
package io.editstream.processor.topology;
