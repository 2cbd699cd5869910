/**
 * Deduplication of identical edits: the same image bytes with the same model, instruction, steps
 * and output settings (and the same tenant, where tenants are isolated) are answered once.
 *
 * <p>{@link io.editstream.processor.cache.ContentKey} is the key (a SHA-256 of a canonical {@link
 * io.editstream.processor.cache.ContentKeyInput}, stable across processes and releases for one
 * encoding version). {@link io.editstream.processor.cache.ResultCache} is the in-memory level
 * (Caffeine, sized from the heap, concurrent identical requests share one call) and {@link
 * io.editstream.processor.cache.ResultIndex} the shared level: a compacted topic of result
 * references (no image bytes) that every instance publishes to and reads, so dedup survives
 * restarts and spans instances.
 */
package io.editstream.processor.cache;
