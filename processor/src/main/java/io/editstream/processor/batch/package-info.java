/**
 * The Gemini Batch API for the batch lane: {@link io.editstream.processor.batch.BatchClient}
 * submits keyed edits as one batch (inline, or as a JSONL file through the Files API when large),
 * polls it and cancels it, and maps each answer to the same {@link
 * io.editstream.processor.model.Outcome} an online call would give. Not wired into the topology
 * yet.
 */
package io.editstream.processor.batch;
