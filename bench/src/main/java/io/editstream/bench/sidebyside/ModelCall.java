package io.editstream.bench.sidebyside;

/**
 * One model call as the emulator answered it: when it arrived (epoch ms), the job it was for (from
 * the {@code [job ID]} marker in the prompt, or "" when there is none) and the HTTP status of the
 * answer (0 when the emulator gave none).
 */
public record ModelCall(long atMillis, String jobId, int status) {
  /** Rejected by the quota: the emulator did no work for it. */
  public boolean rateLimited() {
    return status == 429;
  }
}
