package io.editstream.processor.model;

import java.util.concurrent.CompletableFuture;

/**
 * A door to the image model. Implementations run calls asynchronously, never block the caller, make
 * exactly one attempt per call (retries are the processor's), and complete the future normally with
 * an {@link Outcome} for every answer or fault: the future is never completed exceptionally.
 */
public interface ModelClient extends AutoCloseable {

  CompletableFuture<Outcome> generate(ModelRequest request);

  /** Short provider name recorded on results, e.g. {@code ai-studio}. */
  String provider();

  @Override
  void close();
}
