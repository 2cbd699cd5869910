package io.editstream.processor.provider;

import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A provider whose answers the test scripts; counts its calls. */
final class ScriptedClient implements ModelClient {
  private final String name;
  private final Deque<Function<ModelRequest, CompletableFuture<Outcome>>> script =
      new ArrayDeque<>();
  private Function<ModelRequest, CompletableFuture<Outcome>> otherwise;
  final AtomicInteger calls = new AtomicInteger();
  // Calls that came with a leaving hook (the router passes it on to the provider's client).
  final AtomicInteger withHook = new AtomicInteger();
  boolean closed;

  ScriptedClient(String name, Outcome always) {
    this.name = name;
    this.otherwise = r -> CompletableFuture.completedFuture(always);
  }

  /** The next call answers this (then the default again). */
  synchronized ScriptedClient then(Outcome next) {
    script.add(r -> CompletableFuture.completedFuture(next));
    return this;
  }

  synchronized ScriptedClient then(Function<ModelRequest, CompletableFuture<Outcome>> next) {
    script.add(next);
    return this;
  }

  synchronized ScriptedClient always(Outcome outcome) {
    otherwise = r -> CompletableFuture.completedFuture(outcome);
    return this;
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    calls.incrementAndGet();
    Function<ModelRequest, CompletableFuture<Outcome>> next;
    synchronized (this) {
      next = script.isEmpty() ? otherwise : script.poll();
    }
    return next.apply(request);
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request, Runnable leaving) {
    withHook.incrementAndGet();
    leaving.run();
    return generate(request);
  }

  @Override
  public String provider() {
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
