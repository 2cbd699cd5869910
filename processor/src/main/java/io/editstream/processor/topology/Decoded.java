package io.editstream.processor.topology;

/** A raw input record after the decode step: either a job's bytes or a record for the DLQ. */
record Decoded(byte[] bytes, boolean dlq) {}
