package io.editstream.bench.throughput;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The production Gemini client with a stopwatch: when each call (by instruction) started and ended,
 * on {@link System#nanoTime()}, so end-to-end time can be split into model time and the rest.
 */
final class TimedModelClient implements ModelClient {

  /** One call's start and end. */
  record Call(long startNanos, long endNanos) {
    long millis() {
      return (endNanos - startNanos) / 1_000_000;
    }
  }

  private final ModelClient delegate;
  private final Map<String, Call> calls = new ConcurrentHashMap<>();

  TimedModelClient(ModelClient delegate) {
    this.delegate = delegate;
  }

  /** The same client the processor builds for itself. */
  static GeminiModelClient gemini(ProcessorConfig config) {
    return new GeminiModelClient(
        new GeminiModelClient.Settings(
            config.model().apiKey(),
            config.model().baseUrl(),
            config.model().timeout(),
            Math.max(config.model().maxInFlight(), 8)));
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    long start = System.nanoTime();
    return delegate
        .generate(request)
        .whenComplete(
            (o, e) -> calls.put(request.instruction(), new Call(start, System.nanoTime())));
  }

  Call call(String instruction) {
    return calls.get(instruction);
  }

  int calls() {
    return calls.size();
  }

  @Override
  public String provider() {
    return delegate.provider();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
