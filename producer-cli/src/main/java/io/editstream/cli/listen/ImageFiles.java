package io.editstream.cli.listen;

import io.editstream.cli.blob.BlobReader;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Writes finished images as {@code <dir>/<sku or no-sku>/<name>.<ext>}, the name from {@link
 * OutputName} (source file, variant, short job id; further images of the same job as {@code
 * <name>-2.<ext>}, ...). The bytes come from the result when inline, else from its URI ({@link
 * BlobReader}: {@code s3://}, {@code file:}); either way they must match the result's SHA-256.
 *
 * <p>Each file is written to a temporary name in its folder, its bytes flushed to disk, then
 * renamed into place, so no reader ever sees half an image under a final name. The new names reach
 * the disk with {@link #flush}, which the caller runs before it commits the outcomes (as done) to
 * its consumer group: after that, on Linux and other POSIX systems, a power loss cannot lose an
 * image the group has moved past.
 */
public final class ImageFiles {
  /** Flushes a directory's entries to disk. */
  @FunctionalInterface
  interface DirectorySync {
    void sync(Path directory) throws IOException;
  }

  /**
   * The file system does not flush directories: fsync on a directory answers EINVAL or EBADF on
   * some network and FUSE mounts, as PostgreSQL's {@code fsync_fname} knows and ignores for
   * directories. There, names reach the disk on the file system's own schedule.
   */
  static final class FlushUnsupported extends IOException {
    private static final long serialVersionUID = 1L;

    FlushUnsupported(Path directory, IOException cause) {
      super("the file system of " + directory + " does not flush directories", cause);
    }
  }

  // strerror's text for EINVAL and EBADF, all Java gives of the errno (in another language the
  // flush fails as any other I/O error: the safe side).
  private static final Set<String> FLUSH_UNSUPPORTED =
      Set.of("Invalid argument", "Bad file descriptor");

  private final Path dir;
  private final BlobReader blobs;
  private final DirectorySync directorySync;
  // Directories with an entry (file or folder) written since the last flush.
  private final Set<Path> unflushed = new LinkedHashSet<>();
  // SKU folders this instance has written to.
  private final Set<Path> used = new HashSet<>();
  // The first directory whose file system does not flush directories, and why.
  private String unflushable;

  public ImageFiles(Path dir, BlobReader blobs) {
    this(dir, blobs, ImageFiles::syncDirectory);
  }

  ImageFiles(Path dir, BlobReader blobs, DirectorySync directorySync) {
    this.dir = dir.toAbsolutePath().normalize();
    this.blobs = blobs;
    this.directorySync = Objects.requireNonNull(directorySync, "directorySync");
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
    createDirectories(folder);
    int n = 0;
    for (OutputImage image : result.getImages()) {
      n++;
      byte[] bytes = bytes(image, blobs);
      String file = name + (n == 1 ? "" : "-" + n) + "." + extension(image.getMimeType());
      Path target = folder.resolve(file);
      Path tmp = Files.createTempFile(folder, ".part-", ".tmp");
      try {
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
          channel.force(true);
        }
        // Same-directory rename: atomic, and it replaces an earlier run's file of the same name.
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      unflushed.add(folder);
      written.add(target);
    }
    return written;
  }

  /**
   * Flushes to disk the names of every file and folder written since the last flush (the files'
   * bytes are flushed as they are written). A directory whose flush fails stays pending for the
   * next call. A directory on a file system that does not flush directories is passed over, as on
   * Windows, and {@link #unflushable} says so: failing would stop every run on such a mount.
   *
   * @throws IOException when a directory cannot be flushed: then the written images may not survive
   *     a power loss, and what they belong to must not be committed as done
   */
  public void flush() throws IOException {
    for (Iterator<Path> it = unflushed.iterator(); it.hasNext(); ) {
      try {
        directorySync.sync(it.next());
      } catch (FlushUnsupported e) {
        if (unflushable == null) {
          unflushable = e.getMessage() + " (" + e.getCause().getMessage() + ")";
        }
      }
      it.remove();
    }
  }

  /**
   * Why the names of written images were not flushed to disk, when a directory's file system does
   * not flush directories (the first such directory); empty when every flush was done.
   */
  public Optional<String> unflushable() {
    return Optional.ofNullable(unflushable);
  }

  /**
   * Creates {@code folder} and any missing parent, noting each parent that gained an entry; the
   * folder's own entry is flushed the first time this run uses it also when it was there already,
   * since whoever created it a moment ago may not have flushed it yet.
   */
  private void createDirectories(Path folder) throws IOException {
    if (used.contains(folder) && Files.isDirectory(folder)) {
      return;
    }
    Path existing = folder;
    while (existing != null && !Files.isDirectory(existing)) {
      existing = existing.getParent();
    }
    Files.createDirectories(folder);
    for (Path p = folder; existing != null && !p.equals(existing); p = p.getParent()) {
      unflushed.add(p.getParent());
    }
    unflushed.add(folder.getParent());
    if (used.isEmpty() && dir.getParent() != null) {
      unflushed.add(dir.getParent()); // the output directory's own entry, for the same reason
    }
    used.add(folder);
  }

  /**
   * Flushes {@code directory}'s entries (POSIX systems: fsync on the directory). Where directories
   * cannot be opened for it (Windows), the file system orders metadata itself.
   *
   * @throws FlushUnsupported where the file system answers fsync on a directory with EINVAL or
   *     EBADF
   */
  static void syncDirectory(Path directory) throws IOException {
    if (!directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      if (FLUSH_UNSUPPORTED.contains(e.getMessage())) {
        throw new FlushUnsupported(directory, e);
      }
      throw e;
    }
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
