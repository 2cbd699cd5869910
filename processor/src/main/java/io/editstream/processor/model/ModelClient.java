package io.editstream.processor.model;

import java.util.concurrent.CompletableFuture;

/**
 * A door to the image model. Implementations run calls asynchronously, never block the caller, make
 * exactly one attempt per call (retries are the processor's), and complete the future normally with
 * an {@link Outcome} for every answer or fault: the future is never completed exceptionally.
 */
public interface ModelClient extends AutoCloseable {

  CompletableFuture<Outcome> generate(ModelRequest request);

  /**
   * Like {@link #generate(ModelRequest)}, and runs {@code leaving} when the request leaves for the
   * server, as late as the client can tell (the quota's sliding log counts the call from there,
   * because the server counts it from its arrival). This default runs it before the call.
   */
  default CompletableFuture<Outcome> generate(ModelRequest request, Runnable leaving) {
    leaving.run();
    return generate(request);
  }

  /** Short provider name recorded on results, e.g. {@code ai-studio}. */
  String provider();

  @Override
  void close();
}
