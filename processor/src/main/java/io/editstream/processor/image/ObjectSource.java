package io.editstream.processor.image;

import java.io.IOException;

/**
 * Reads objects of an S3-compatible store for {@code s3://bucket/key} input images, with the
 * processor's own credentials. Calls block; the loader runs them on its I/O executor.
 */
public interface ObjectSource {

  /** No object store configured: every read fails with {@link Denied}. */
  ObjectSource NONE =
      (bucket, key, maxBytes) -> {
        throw new Denied("no object store is configured (blob.s3.* settings)");
      };

  /**
   * The object's bytes.
   *
   * @param maxBytes larger objects are not read: {@link TooLarge}
   * @throws Missing when the object or the bucket does not exist (permanent)
   * @throws Denied when the credentials may not read it (permanent)
   * @throws TooLarge when it is larger than {@code maxBytes} (permanent)
   * @throws IOException for anything else: the store is down, throttles or times out (retryable)
   */
  byte[] read(String bucket, String key, long maxBytes) throws IOException;

  /** The object or its bucket does not exist. */
  final class Missing extends IOException {
    private static final long serialVersionUID = 1L;

    public Missing(String message) {
      super(message);
    }
  }

  /** The processor's credentials may not read the object. */
  final class Denied extends IOException {
    private static final long serialVersionUID = 1L;

    public Denied(String message) {
      super(message);
    }
  }

  /** The object is larger than allowed; nothing (or only its head) was read. */
  final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;
    private final long size;

    public TooLarge(long size) {
      super("object is " + size + " bytes");
      this.size = size;
    }

    public long size() {
      return size;
    }
  }
}
