package io.editstream.cli.submit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Checks local image files (exists, size, sniffed type) and hashes them, once per file: a manifest
 * that fans one image out to 20 locales reads it once.
 */
final class ImageInspector {
  private final long maxBytes;
  private final Map<Path, Inspection> seen = new HashMap<>();

  ImageInspector(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** A checked file, or why it cannot be sent. */
  sealed interface Inspection {}

  record Ok(Path path, ImageType type, long sizeBytes, String sha256) implements Inspection {}

  record Bad(String message) implements Inspection {}

  Inspection inspect(Path file) {
    Path key = file.toAbsolutePath().normalize();
    return seen.computeIfAbsent(key, this::check);
  }

  private Inspection check(Path path) {
    try {
      if (!Files.exists(path)) {
        return new Bad("file not found: " + path);
      }
      if (!Files.isRegularFile(path)) {
        return new Bad("not a regular file: " + path);
      }
      long size = Files.size(path);
      if (size > maxBytes) {
        return new Bad(
            String.format(
                java.util.Locale.ROOT,
                "file is %s (%,d bytes), over the %s (%,d bytes) accepted per image: downscale"
                    + " or re-encode it: %s",
                Sizes.human(size),
                size,
                Sizes.human(maxBytes),
                maxBytes,
                path));
      }
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] head = new byte[ImageType.SNIFF_BYTES];
      int headLength;
      try (InputStream in = new DigestInputStream(Files.newInputStream(path), sha)) {
        headLength = in.readNBytes(head, 0, head.length);
        in.transferTo(OutputStream.nullOutputStream());
      }
      Optional<ImageType> type = ImageType.sniff(head, headLength);
      if (type.isEmpty()) {
        return new Bad(
            "unsupported image type (not JPEG, PNG, WebP, HEIC or HEIF; starts with "
                + ImageType.hexHead(head, headLength)
                + "): "
                + path);
      }
      return new Ok(path, type.get(), size, HexFormat.of().formatHex(sha.digest()));
    } catch (NoSuchFileException e) {
      return new Bad("file not found: " + path);
    } catch (IOException e) {
      return new Bad("cannot read " + path + ": " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
