package io.editstream.processor.blob;

import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Optional;

/**
 * Content-addressed storage for output images. Implementations are thread-safe; I/O failures are
 * thrown as {@link UncheckedIOException}, and failures of the store itself (unreachable, bucket
 * gone, access denied) as its subclass {@link BlobStoreException}.
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

  /**
   * A URL that reads the blob without credentials for a while, when this store is configured to
   * hand them out; empty otherwise, and for URIs that do not belong to this store. Signing needs no
   * request to the store.
   */
  default Optional<PresignedUrl> presign(URI uri) {
    return Optional.empty();
  }
}
