package io.editstream.processor.image;

import io.editstream.processor.validate.Rejection;
import io.editstream.schema.FailureCode;
import java.util.Objects;

/**
 * An input image (or a model output image) that cannot be used. Carries the {@link Rejection}
 * (stable code, field path such as {@code images[2].uri}, message naming that field) and whether
 * the same job may succeed later (a timeout or a 5xx from an image server) or never will (bad
 * bytes, a forbidden URI). The message never contains credentials or URI query strings.
 *
 * <p>It is a value describing bad input, not a bug, so it records no stack trace.
 */
public final class ImageRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Rejection rejection;
  private final boolean retryable;

  public ImageRejectedException(Rejection rejection, boolean retryable, Throwable cause) {
    super(Objects.requireNonNull(rejection, "rejection").message(), cause, false, false);
    this.rejection = rejection;
    this.retryable = retryable;
  }

  /** A rejection that will not go away by trying again. */
  public static ImageRejectedException permanent(FailureCode code, String field, String detail) {
    return new ImageRejectedException(Rejection.of(code, field, detail), false, null);
  }

  /** A rejection that may go away by trying again later (timeouts, server errors). */
  public static ImageRejectedException retryable(
      FailureCode code, String field, String detail, Throwable cause) {
    return new ImageRejectedException(Rejection.of(code, field, detail), true, cause);
  }

  public Rejection rejection() {
    return rejection;
  }

  public FailureCode code() {
    return rejection.code();
  }

  public String field() {
    return rejection.field();
  }

  public boolean retryable() {
    return retryable;
  }
}
