package io.editstream.cli.blob;

import java.net.URI;
import java.util.Locale;

/**
 * A bucket and key (or key prefix) of an {@code s3://bucket/key} URI.
 *
 * @param bucket the bucket name
 * @param key the object key, or a prefix ending in {@code /} (may be empty)
 */
public record S3Location(String bucket, String key) {

  /**
   * Parses {@code s3://bucket/key}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static S3Location parse(String uri) {
    URI u;
    try {
      u = URI.create(uri.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + uri + "' is not a URI: " + e.getMessage());
    }
    if (u.getScheme() == null || !u.getScheme().toLowerCase(Locale.ROOT).equals("s3")) {
      throw new IllegalArgumentException("'" + uri + "' is not an s3://bucket/key URI");
    }
    String bucket = u.getAuthority();
    if (bucket == null || bucket.isBlank()) {
      throw new IllegalArgumentException("'" + uri + "' names no bucket (s3://bucket/key)");
    }
    String path = u.getPath() == null ? "" : u.getPath();
    return new S3Location(bucket, path.startsWith("/") ? path.substring(1) : path);
  }

  /** The location of {@code name} under this prefix. */
  public S3Location child(String name) {
    String prefix = key.isEmpty() || key.endsWith("/") ? key : key + "/";
    return new S3Location(bucket, prefix + name);
  }

  public URI uri() {
    return URI.create("s3://" + bucket + "/" + key);
  }

  @Override
  public String toString() {
    return uri().toString();
  }
}
