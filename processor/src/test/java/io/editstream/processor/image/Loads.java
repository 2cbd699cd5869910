package io.editstream.processor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Test helpers for loader futures. */
final class Loads {

  private Loads() {}

  static <T> T loaded(CompletableFuture<T> future) {
    try {
      return future.get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success but was rejected: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("did not complete", e);
    }
  }

  static ImageRejectedException rejected(CompletableFuture<?> future) {
    try {
      Object value = future.get(20, TimeUnit.SECONDS);
      throw new AssertionError("expected a rejection but loaded " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(ImageRejectedException.class);
      return (ImageRejectedException) e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("did not complete", e);
    }
  }
}
