package io.editstream.processor.validate;

import io.editstream.schema.FailureCode;
import java.util.Objects;

/**
 * Why a job (or one of its images) cannot be processed: a stable {@link FailureCode}, the path of
 * the bad field (for example {@code images[3].uri}) and a message for people that starts with that
 * field. Messages never contain credentials or URI query strings.
 */
public record Rejection(FailureCode code, String field, String message) {

  public Rejection {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(message, "message");
  }

  /** A rejection whose message is {@code "<field>: <detail>"}. */
  public static Rejection of(FailureCode code, String field, String detail) {
    return new Rejection(code, field, field + ": " + detail);
  }
}
