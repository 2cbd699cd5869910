package io.editstream.cli.listen;

import io.editstream.cli.blob.BlobReader;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Writes finished images as {@code <dir>/<sku or no-sku>/<name>.<ext>}, the name from {@link
 * OutputName} (source file, variant, short job id; further images of the same job as {@code
 * <name>-2.<ext>}, ...). The bytes come from the result when inline, else from its URI ({@link
 * BlobReader}: {@code s3://}, {@code file:}); either way they must match the result's SHA-256.
 */
public final class ImageFiles {
  private final Path dir;
  private final BlobReader blobs;

  public ImageFiles(Path dir, BlobReader blobs) {
    this.dir = dir;
    this.blobs = blobs;
  }

  /**
   * Writes the result's images under the name of {@code jobId} (the logical job) and the source and
   * variant attributes submit sets.
   *
   * @return the files written
   * @throws IOException when bytes cannot be read (e.g. a blob store on another machine) or do not
   *     match their digest
   */
  public List<Path> write(EditResult result, String jobId) throws IOException {
    return writeAs(result, OutputName.of(jobId, result.getAttributes()));
  }

  /** Writes the result's images as {@code name} (an {@link OutputName}) in the SKU's folder. */
  public List<Path> writeAs(EditResult result, String name) throws IOException {
    List<Path> written = new ArrayList<>();
    Path folder = dir.resolve(safeName(result.getSku() == null ? "no-sku" : result.getSku()));
    Files.createDirectories(folder);
    int n = 0;
    for (OutputImage image : result.getImages()) {
      n++;
      byte[] bytes = bytes(image, blobs);
      String file = name + (n == 1 ? "" : "-" + n) + "." + extension(image.getMimeType());
      Path target = folder.resolve(file);
      Path tmp = Files.createTempFile(folder, ".part-", ".tmp");
      try {
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      written.add(target);
    }
    return written;
  }

  /** The image's bytes, checked against its SHA-256. */
  public static byte[] bytes(OutputImage image, BlobReader blobs) throws IOException {
    byte[] bytes;
    if (image.getData() != null) {
      ByteBuffer data = image.getData().duplicate();
      bytes = new byte[data.remaining()];
      data.get(bytes);
    } else if (image.getPresignedUrl() != null) {
      // Readable by anyone holding the URL until it expires: no store credentials needed.
      bytes = blobs.read(image.getPresignedUrl());
    } else {
      bytes = blobs.read(image.getUri());
    }
    String sha = sha256(bytes);
    if (image.getSha256() != null && !image.getSha256().equalsIgnoreCase(sha)) {
      throw new IOException("image " + image.getUri() + " does not match its SHA-256");
    }
    return bytes;
  }

  static String extension(String mimeType) {
    return switch (mimeType == null ? "" : mimeType.toLowerCase(Locale.ROOT)) {
      case "image/jpeg" -> "jpg";
      case "image/webp" -> "webp";
      case "image/png" -> "png";
      default -> "bin";
    };
  }

  /** A file name from free text: letters, digits, {@code . _ -}; others become {@code _}. */
  public static String safeName(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    if (cleaned.isEmpty() || cleaned.chars().allMatch(c -> c == '.')) {
      return "_" + cleaned;
    }
    return cleaned.length() > 200 ? cleaned.substring(0, 200) : cleaned;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
