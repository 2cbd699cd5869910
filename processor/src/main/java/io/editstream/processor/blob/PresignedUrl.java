package io.editstream.processor.blob;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/** A URL that reads a blob without credentials until {@code expiresAt}. */
record PresignedUrl(URI url, Instant expiresAt) {

  public PresignedUrl {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
