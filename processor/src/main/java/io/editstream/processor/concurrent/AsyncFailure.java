package io.editstream.processor.concurrent;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure behind a future's wrappers. A failed {@code CompletableFuture} hands its waiters a
 * {@link CompletionException} (or an {@link ExecutionException} from {@code get}) around the real
 * cause, nested once per stage it passed; a shared call that failed for several waiters travels as
 * a {@link CancellationException} with the cause attached. Callers classify failures by the cause
 * (a timeout, a refused connection, a model's answer), so the wrappers must come off first, by one
 * rule in one place.
 */
public final class AsyncFailure {
  private static final int MAX_DEPTH = 64;

  private AsyncFailure() {}

  /**
   * Returns the first throwable in {@code error}'s cause chain that is not a future's wrapper: a
   * {@link CompletionException} or {@link ExecutionException} with a cause, or a {@link
   * CancellationException} carrying a cause. A wrapper without a cause is returned as it is (a
   * plain cancellation stays a cancellation); a chain of wrappers that loops is followed at most 64
   * steps.
   */
  public static Throwable unwrap(Throwable error) {
    Throwable t = error;
    // Bounded: initCause refuses a throwable as its own cause, not a longer loop of them.
    for (int depth = 0; depth < MAX_DEPTH && isWrapper(t); depth++) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean isWrapper(Throwable t) {
    return t.getCause() != null
        && (t instanceof CompletionException
            || t instanceof ExecutionException
            || t instanceof CancellationException);
  }
}
