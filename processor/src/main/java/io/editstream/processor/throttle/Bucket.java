package io.editstream.processor.throttle;

/** The four quotas Google meters per project and model; a {@link QuotaPool} holds one of each. */
public enum Bucket {
  /** Requests per minute (sliding 60 s window). */
  REQUESTS_PER_MINUTE("rpm"),
  /** Images per minute (sliding 60 s window). */
  IMAGES_PER_MINUTE("ipm"),
  /** Input tokens per minute (sliding 60 s window), estimated before the call, then corrected. */
  INPUT_TOKENS_PER_MINUTE("tpm"),
  /** Requests per day, resetting at midnight America/Los_Angeles. */
  REQUESTS_PER_DAY("rpd");

  private final String tag;

  Bucket(String tag) {
    this.tag = tag;
  }

  /** Short name used as the {@code bucket} metric tag and in messages. */
  public String tag() {
    return tag;
  }
}
