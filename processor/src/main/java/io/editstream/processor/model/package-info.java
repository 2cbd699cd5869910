/**
 * Doors to the image model.
 *
 * <p>Public face: the {@link io.editstream.processor.model.ModelClient} SPI (asynchronous, exactly
 * one attempt per call, every answer or fault completed as a sealed {@link
 * io.editstream.processor.model.Outcome}, never an exception), the {@link
 * io.editstream.processor.model.ModelRequest} it takes, and {@link
 * io.editstream.processor.model.ModelIds} (the one rule for "the job's model, else the default",
 * with aliases). Implementations: {@link io.editstream.processor.model.GeminiModelClient} (AI
 * Studio through the google-genai SDK), {@link io.editstream.processor.model.VertexModelClient}
 * (the same SDK in Vertex mode) and {@link io.editstream.processor.model.WaveSpeedModelClient}.
 * Retries, quotas and failover are the caller's, not this package's.
 */
package io.editstream.processor.model;
