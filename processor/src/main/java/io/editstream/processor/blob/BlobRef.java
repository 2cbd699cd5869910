package io.editstream.processor.blob;

import java.net.URI;
import java.util.Objects;

/**
 * A stored blob: where it is, the lowercase hex SHA-256 of its bytes, its MIME type and length. The
 * same bytes with the same MIME type always get the same URI.
 */
public record BlobRef(URI uri, String sha256, String mimeType, long sizeBytes) {

  public BlobRef {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(mimeType, "mimeType");
  }
}
