package io.editstream.processor.blob;

import com.google.common.hash.Hashing;
import io.editstream.processor.image.ImageType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@link BlobStore} in a local directory: {@code root/ab/cd/<sha256>.<ext>}, where {@code ab} and
 * {@code cd} are the first hex digits of the SHA-256 (so no directory grows too large) and the
 * extension follows the MIME type ({@code bin} when unknown). Blobs are written to a temporary file
 * in the target directory, flushed to disk, then renamed atomically into place, so a crash never
 * leaves a partial blob under a final name. URIs are {@code file:} URIs.
 */
public final class LocalBlobStore implements BlobStore {

  private final Path root;

  /** A store in {@code root}, which is created when missing. */
  public LocalBlobStore(Path root) {
    Objects.requireNonNull(root, "root");
    try {
      Files.createDirectories(root);
      this.root = root.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("blob store root " + root + " cannot be created", e);
    }
  }

  /** The directory blobs live in (symbolic links resolved). */
  public Path root() {
    return root;
  }

  @Override
  public BlobRef put(byte[] bytes, String mimeType) {
    Objects.requireNonNull(bytes, "bytes");
    if (mimeType == null || mimeType.isBlank()) {
      throw new IllegalArgumentException("mimeType must not be blank");
    }
    String mime = mimeType.strip().toLowerCase(Locale.ROOT);
    String sha256 = Hashing.sha256().hashBytes(bytes).toString();
    String extension = ImageType.fromMimeType(mime).map(ImageType::extension).orElse("bin");
    Path target =
        root.resolve(sha256.substring(0, 2))
            .resolve(sha256.substring(2, 4))
            .resolve(sha256 + "." + extension);
    BlobRef ref = new BlobRef(target.toUri(), sha256, mime, bytes.length);
    try {
      if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
        // Content-addressed: same name, same bytes. Refresh its time so that retention counts
        // from the latest write, not the first.
        Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
        return ref;
      }
      Path dir = target.getParent();
      Files.createDirectories(dir);
      Path temp = Files.createTempFile(dir, "." + sha256, ".tmp");
      try {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
          ByteBuffer buffer = ByteBuffer.wrap(bytes);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
          channel.force(true);
        }
        // Concurrent writers of the same blob race harmlessly: both rename identical bytes.
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
      return ref;
    } catch (IOException e) {
      throw new UncheckedIOException("storing blob " + sha256 + " failed", e);
    }
  }

  @Override
  public byte[] get(URI uri) {
    Path path =
        pathOf(uri)
            .orElseThrow(() -> new IllegalArgumentException("not a blob of this store: " + uri));
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException("reading blob " + path.getFileName() + " failed", e);
    }
  }

  @Override
  public boolean exists(URI uri) {
    return pathOf(uri).map(Files::isRegularFile).orElse(false);
  }

  private java.util.Optional<Path> pathOf(URI uri) {
    if (uri == null || !"file".equalsIgnoreCase(uri.getScheme())) {
      return java.util.Optional.empty();
    }
    Path path;
    try {
      path = Path.of(uri).normalize();
    } catch (IllegalArgumentException | FileSystemNotFoundException e) {
      return java.util.Optional.empty();
    }
    return path.startsWith(root) && !path.equals(root)
        ? java.util.Optional.of(path)
        : java.util.Optional.empty();
  }
}
