package io.editstream.processor.topology;

import io.editstream.schema.CancelRequest;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.TenantHold;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * The serdes the topology needs, built by the caller (registry-backed in production, the same in
 * tests against a real registry). {@code transientDecodeError} tells a registry outage (retry the
 * record) from bad bytes (dead-letter it).
 */
public record TopologySerdes(
    Deserializer<EditJob> jobs,
    Serde<EditResult> results,
    Serde<EditFailure> failures,
    Deserializer<CancelRequest> cancels,
    Serde<TenantHold> holds,
    Predicate<RuntimeException> transientDecodeError) {}
