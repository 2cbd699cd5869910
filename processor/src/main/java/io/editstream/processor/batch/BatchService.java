package io.editstream.processor.batch;

import io.editstream.processor.model.Outcome;
import java.util.List;
import java.util.Optional;

/**
 * What the batch lane needs of a batch API ({@link BatchClient} over Gemini's). Callers may rely
 * on: {@link #submit} creates at most one batch and never retries; {@link #find} and {@link #poll}
 * change nothing and are safe to repeat, and so is {@link #cancel}. Blocking; thread-safe.
 */
public interface BatchService {

  /** Creates one batch of {@code requests} for {@code model}, named {@code displayName}. */
  BatchClient.Submission submit(
      String model, String displayName, List<BatchClient.KeyedRequest> requests);

  /**
   * The name ({@code batches/…}) of a batch created earlier with {@code displayName}, if any: how a
   * restarted processor learns whether a batch it was creating exists.
   *
   * @throws RuntimeException if the batches cannot be listed (the caller asks again later)
   */
  Optional<String> find(String displayName);

  /** The batch's state and, once it succeeded, every request's outcome by key. */
  BatchClient.Poll poll(String batchName, List<String> keysInOrder);

  /**
   * Cancels the batch (safe to repeat; cancelling an ended batch changes nothing).
   *
   * @return the failure if the cancel could not be sent, else empty
   */
  Optional<Outcome.Failure> cancel(String batchName);
}
