package io.editstream.processor.blob;

import java.io.UncheckedIOException;
import java.net.URI;

/**
 * Content-addressed storage for output images. Implementations are thread-safe; I/O failures are
 * thrown as {@link UncheckedIOException}.
 */
public interface BlobStore {

  /**
   * Stores {@code bytes} under a name derived from their SHA-256 and returns the reference.
   * Idempotent: storing the same bytes again returns the same reference and rewrites nothing.
   * Readers never see a partially written blob.
   */
  BlobRef put(byte[] bytes, String mimeType);

  /**
   * The bytes of a blob of this store.
   *
   * @throws IllegalArgumentException when the URI does not belong to this store
   * @throws UncheckedIOException when it cannot be read, e.g. does not exist
   */
  byte[] get(URI uri);

  /** Whether the blob exists; false for URIs that do not belong to this store. */
  boolean exists(URI uri);
}
