package io.editstream.registry;

import java.util.Objects;

/**
 * A failed schema registry call. {@link #kind()} classifies it; {@link #httpStatus()} and {@link
 * #errorCode()} carry the registry's own answer ({@code -1} when there was no HTTP answer, e.g. the
 * registry could not be reached). The message names the operation and the subject or id, never a
 * credential.
 */
public class SchemaRegistryException extends RuntimeException {

  /** What went wrong, independent of which registry product answered. */
  public enum Kind {
    /** 40401: the subject has no versions. */
    SUBJECT_NOT_FOUND,
    /** 40402: the requested version of the subject does not exist. */
    VERSION_NOT_FOUND,
    /** 40403: no schema with that id, or the schema is not registered under the subject. */
    SCHEMA_NOT_FOUND,
    /** HTTP 409 (error code 409 or 40901): the compatibility rule rejected the schema. */
    INCOMPATIBLE,
    /** 42201 (or another 422): the registry could not parse the schema. */
    INVALID_SCHEMA,
    /** HTTP 401 or 403: credentials missing, wrong, or not allowed. */
    UNAUTHORIZED,
    /** No answer (connection refused, timeout) or a 5xx: worth retrying later. */
    UNAVAILABLE,
    /** Any other answer, including one that is not the registry's JSON. */
    OTHER
  }

  private final Kind kind;
  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(
      Kind kind, int httpStatus, int errorCode, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(Kind kind, int httpStatus, int errorCode, String message) {
    this(kind, httpStatus, errorCode, message, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or {@code -1} when the registry gave no HTTP answer. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The registry's {@code error_code} (e.g. 40403), or {@code -1} when there was none. */
  public int errorCode() {
    return errorCode;
  }

  /** True for a subject, version or schema that does not exist. */
  public boolean isNotFound() {
    return kind == Kind.SUBJECT_NOT_FOUND
        || kind == Kind.VERSION_NOT_FOUND
        || kind == Kind.SCHEMA_NOT_FOUND;
  }

  /** Classifies a registry answer by its HTTP status and Confluent error code. */
  static Kind classify(int httpStatus, int errorCode) {
    if (errorCode == 40401) {
      return Kind.SUBJECT_NOT_FOUND;
    }
    if (errorCode == 40402) {
      return Kind.VERSION_NOT_FOUND;
    }
    if (errorCode == 40403) {
      return Kind.SCHEMA_NOT_FOUND;
    }
    if (httpStatus == 409 || errorCode == 409 || errorCode == 40901) {
      return Kind.INCOMPATIBLE;
    }
    if (httpStatus == 422 || errorCode == 42201) {
      return Kind.INVALID_SCHEMA;
    }
    if (httpStatus == 401 || httpStatus == 403) {
      return Kind.UNAUTHORIZED;
    }
    if (httpStatus >= 500) {
      return Kind.UNAVAILABLE;
    }
    return Kind.OTHER;
  }
}
