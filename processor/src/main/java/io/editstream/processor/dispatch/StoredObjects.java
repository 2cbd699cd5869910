package io.editstream.processor.dispatch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.editstream.processor.blob.BlobStore;
import io.editstream.schema.OutputImage;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Which finished images are known to be in the blob store. A cached result (from this instance or
 * from another one through the cache index) may name an object that is gone (deleted, expired by a
 * lifecycle rule, or on another host's disk); handing out its URI would give the consumer a dead
 * link. Objects this instance stored, or found with a lookup, are trusted for {@link #TRUST}; after
 * that, or for anything else, a cache hit looks the object up again (off the stream thread).
 */
final class StoredObjects {
  /** How long an object seen in the store is trusted without another lookup. */
  static final Duration TRUST = Duration.ofMinutes(1);

  private final BlobStore store;
  private final Cache<String, Boolean> seen;

  StoredObjects(BlobStore store, Ticker ticker) {
    this.store = store;
    this.seen =
        Caffeine.newBuilder().expireAfterWrite(TRUST).maximumSize(100_000).ticker(ticker).build();
  }

  /** Records that {@code uri} was just written. */
  void stored(String uri) {
    seen.put(uri, Boolean.TRUE);
  }

  /** True when every image was seen in the store within {@link #TRUST}; no I/O. */
  boolean knownToExist(List<OutputImage> images) {
    for (OutputImage image : images) {
      if (seen.getIfPresent(image.getUri()) == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Looks every image up in the store (blocking I/O). False as soon as one is missing or not of
   * this store.
   *
   * @throws io.editstream.processor.blob.BlobStoreException when the store cannot answer
   */
  boolean allExist(List<OutputImage> images) {
    for (OutputImage image : images) {
      if (seen.getIfPresent(image.getUri()) != null) {
        continue;
      }
      URI uri;
      try {
        uri = URI.create(image.getUri());
      } catch (IllegalArgumentException e) {
        return false;
      }
      if (!store.exists(uri)) {
        return false;
      }
      seen.put(image.getUri(), Boolean.TRUE);
    }
    return true;
  }
}
