package io.editstream.processor.topology;

import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.schema.EditJob;
import io.editstream.schema.OutputImage;
import io.editstream.schema.TokenUsage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Does one attempt of a job off the stream thread: load its images, consult the dedup cache, call
 * the model, store the finished image. The future always completes normally; the stream thread
 * turns the result into an outcome record.
 */
public interface Dispatcher extends AutoCloseable {

  CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber);

  /**
   * Like {@link #attempt(EditJob, int)}, but the model call goes to {@code provider}: the provider
   * whose quota pool admitted the job (null = any). A provider the job names itself wins.
   */
  default CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber, String provider) {
    return attempt(job, attemptNumber);
  }

  /**
   * Like {@link #attempt(EditJob, int, String)}, and runs {@code calling} on the thread that sends
   * the model request, just before each call of this attempt leaves (not when the cache answers
   * it): the quota's sliding log counts the call from there ({@link
   * io.editstream.processor.throttle.TaskGate#started}). A dispatcher that does not know when its
   * call leaves need not run it: the call then counts from its grant.
   */
  default CompletableFuture<Attempt> attempt(
      EditJob job, int attemptNumber, String provider, Runnable calling) {
    return attempt(job, attemptNumber, provider);
  }

  /**
   * A finished result for an identical earlier edit, found without I/O (the stream thread's fast
   * path: no quota, no model call). Empty when unknown or when the images must be fetched first.
   */
  default Optional<Produced> cached(EditJob job) {
    return Optional.empty();
  }

  /**
   * The model request of one job, its images loaded and checked, for a caller that gets the model's
   * answer another way (the batch lane); or the failure that ends the attempt before any call (an
   * image rejected). Off the stream thread.
   */
  default CompletableFuture<Prepared> prepare(EditJob job) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException("this dispatcher cannot prepare batch requests"));
  }

  /**
   * The attempt of a job whose model answer was obtained already (by the batch lane): the answer
   * goes the way an online call's does, its image stored and the cache filled on success. The
   * attempt reports the one model call that was made.
   */
  default CompletableFuture<Attempt> answered(EditJob job, Outcome outcome) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException("this dispatcher cannot take batch answers"));
  }

  @Override
  default void close() {}

  /** What {@link #prepare} came to: a request, or the failure that ends the attempt. */
  record Prepared(ModelRequest request, Failed failed) {
    public Prepared {
      if ((request == null) == (failed == null)) {
        throw new IllegalArgumentException("exactly one of request and failed");
      }
    }
  }

  /** What one attempt came to. */
  sealed interface Attempt {
    /**
     * Model calls the attempt made: 1, or 0 when it ended before the model was called (images
     * rejected, a result from the cache or from an identical call in flight). What a job's outcome
     * reports as its {@code attempts}.
     */
    int modelCalls();
  }

  /** Finished images, from the model or from the cache. */
  record Produced(
      List<OutputImage> images,
      String text,
      String model,
      String modelVersion,
      TokenUsage usage,
      Duration modelTime,
      boolean cacheHit,
      String contentKey,
      String provider,
      Double estimatedCostUsd)
      implements Attempt {

    @Override
    public int modelCalls() {
      return cacheHit ? 0 : 1;
    }
  }

  /**
   * The attempt failed; {@code failure.retryable()} says whether another may succeed. {@code
   * modelCalls} is 0 when it failed before calling the model.
   */
  record Failed(Outcome.Failure failure, int modelCalls) implements Attempt {

    /** A failure of the model call the attempt made. */
    public Failed(Outcome.Failure failure) {
      this(failure, 1);
    }

    /** A failure before any model call. */
    public static Failed beforeTheCall(Outcome.Failure failure) {
      return new Failed(failure, 0);
    }
  }
}
