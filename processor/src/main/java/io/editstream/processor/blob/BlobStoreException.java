package io.editstream.processor.blob;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * The blob store could not carry out an operation, for a reason that lies with the store, not with
 * the blob: it is unreachable or overloaded after the client's own retries, the bucket is gone, or
 * access is denied. Nothing is wrong with the job; trying again later may succeed once the store
 * (or its configuration) is back.
 */
public final class BlobStoreException extends UncheckedIOException {

  /** Why the store refused or failed. */
  public enum Reason {
    /** Unreachable, timed out, throttled or a server error, after the client's retries. */
    UNAVAILABLE,
    /** The configured bucket does not exist. */
    NO_SUCH_BUCKET,
    /** The store refused the credentials or their permissions (HTTP 403). */
    ACCESS_DENIED,
    /** No credentials were configured and none were found where the client looks for them. */
    NO_CREDENTIALS
  }

  private final Reason reason;

  public BlobStoreException(Reason reason, String message, Throwable cause) {
    super(message, new IOException(message, cause));
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
