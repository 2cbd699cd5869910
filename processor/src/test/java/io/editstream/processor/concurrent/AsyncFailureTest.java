package io.editstream.processor.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class AsyncFailureTest {

  @Test
  void aFailedStageGivesItsCauseNotTheCompletionException() {
    IOException refused = new IOException("connection refused");
    CompletableFuture<String> failed =
        CompletableFuture.<String>failedFuture(refused).thenApply(s -> s + "!").thenApply(s -> s);

    Throwable seen = failed.handle((v, e) -> e).join();

    assertThat(seen).isInstanceOf(CompletionException.class);
    assertThat(AsyncFailure.unwrap(seen)).isSameAs(refused);
  }

  @Test
  void theExecutionExceptionOfGetIsUnwrappedToo() {
    HttpTimeoutException timeout = new HttpTimeoutException("request timed out");
    CompletableFuture<String> failed = CompletableFuture.failedFuture(timeout);

    Throwable thrown = catchThrowable(failed::get);

    assertThat(thrown).isInstanceOf(ExecutionException.class);
    assertThat(AsyncFailure.unwrap(thrown)).isSameAs(timeout);
  }

  @Test
  void nestedWrappersOfEveryKindComeOff() {
    IllegalStateException cause = new IllegalStateException("model fault");
    Throwable wrapped =
        new CompletionException(
            new ExecutionException(
                (CancellationException) new CancellationException("shared").initCause(cause)));

    assertThat(AsyncFailure.unwrap(wrapped)).isSameAs(cause);
  }

  @Test
  void aPlainCancellationAndAWrapperWithoutCauseStayAsTheyAre() {
    CancellationException cancelled = new CancellationException("cancelled");
    CompletionException empty = new CompletionException("no cause", null);

    assertThat(AsyncFailure.unwrap(cancelled)).isSameAs(cancelled);
    assertThat(AsyncFailure.unwrap(empty)).isSameAs(empty);
  }

  @Test
  void aCauseThatIsNotAWrapperIsKeptWithItsOwnCauses() {
    IOException inner = new IOException("inner");
    RuntimeException outer = new RuntimeException("outer", inner);

    assertThat(AsyncFailure.unwrap(new CompletionException(outer))).isSameAs(outer);
    assertThat(AsyncFailure.unwrap(outer)).isSameAs(outer);
  }

  @Test
  void aLoopOfWrappersEnds() {
    CompletionException a = new Unset("a");
    ExecutionException b = new ExecutionException("b", a);
    a.initCause(b);

    Throwable found = AsyncFailure.unwrap(a);

    assertThat(found).isIn(a, b);
  }

  /** A wrapper whose cause is not set yet, so the test can close a loop with initCause. */
  private static final class Unset extends CompletionException {
    private static final long serialVersionUID = 1L;

    Unset(String message) {
      super(message);
    }
  }
}
