package io.editstream.processor.blob;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Deletes finished images of a {@link LocalBlobStore} that were last written longer ago than the
 * retention. Only the store's own layout is swept ({@code root/ab/cd/<sha256>.<ext>}), so other
 * folders under the root (the dead-letter claim checks in {@code dlq/}) are never touched; a
 * temporary file left by a crash mid-write is deleted once it is older than the retention too.
 *
 * <p>A store's {@code put} of bytes it already holds refreshes the file's time, so an image that is
 * produced again lives a full retention from then. Cached answers never outlive their image as long
 * as the retention is at least {@code cache.ttl.ms} (the configuration enforces it).
 */
public final class LocalBlobRetention {
  private final Path root;
  private final Duration retention;

  /** What one sweep did. */
  public record Sweep(int deleted, long bytesFreed, int kept) {}

  public LocalBlobRetention(LocalBlobStore store, Duration retention) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be > 0, was " + retention);
    }
    this.root = store.root();
    this.retention = retention;
  }

  /** Deletes what was last written before {@code now - retention}. */
  public Sweep sweep(Instant now) {
    Instant cutoff = now.minus(retention);
    int deleted = 0;
    int kept = 0;
    long freed = 0;
    try (DirectoryStream<Path> first = Files.newDirectoryStream(root, LocalBlobRetention::isHex2)) {
      for (Path a : first) {
        try (DirectoryStream<Path> second =
            Files.newDirectoryStream(a, LocalBlobRetention::isHex2)) {
          for (Path b : second) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(b, Files::isRegularFile)) {
              for (Path f : files) {
                try {
                  if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) {
                    long size = Files.size(f);
                    if (Files.deleteIfExists(f)) {
                      deleted++;
                      freed += size;
                    }
                  } else {
                    kept++;
                  }
                } catch (NoSuchFileException gone) {
                  // deleted or renamed meanwhile
                }
              }
            }
          }
        }
      }
    } catch (NoSuchFileException gone) {
      // the root or a folder went away meanwhile: nothing to sweep there
    } catch (IOException e) {
      throw new UncheckedIOException("sweeping the blob store " + root + " failed", e);
    }
    return new Sweep(deleted, freed, kept);
  }

  private static boolean isHex2(Path p) {
    String name = p.getFileName().toString();
    return name.length() == 2
        && Character.digit(name.charAt(0), 16) >= 0
        && Character.digit(name.charAt(1), 16) >= 0
        && Files.isDirectory(p);
  }
}
