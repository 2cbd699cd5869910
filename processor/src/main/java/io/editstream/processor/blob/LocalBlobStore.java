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
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} in a local directory: {@code root/ab/cd/<sha256>.<ext>}, where {@code ab} and
 * {@code cd} are the first hex digits of the SHA-256 (so no directory grows too large) and the
 * extension follows the MIME type ({@code bin} when unknown). Blobs are written to a temporary file
 * in the target directory, flushed to disk, then renamed atomically into place, so a crash never
 * leaves a partial blob under a final name. The directory is flushed after the rename (and a new
 * directory's parent after its creation): a blob's name, like its bytes, is on disk before {@link
 * #put} returns, so a result that names it survives a power loss too. URIs are {@code file:} URIs.
 */
public final class LocalBlobStore implements BlobStore {

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

  private static final Logger log = LoggerFactory.getLogger(LocalBlobStore.class);

  // strerror's text for EINVAL and EBADF, all Java gives of the errno (in another language the
  // flush fails as any other I/O error: the safe side).
  private static final Set<String> FLUSH_UNSUPPORTED =
      Set.of("Invalid argument", "Bad file descriptor");

  // Bits 0..65,535: root/ab/cd's entry flushed in ab; from AB_BITS, 256: root/ab's in the root.
  private static final int AB_BITS = 65_536;

  private final Path root;
  private final DirectorySync directorySync;
  private final AtomicLongArray synced = new AtomicLongArray((AB_BITS + 256) / 64);

  /** A store in {@code root}, which is created when missing. */
  public LocalBlobStore(Path root) {
    this(root, LocalBlobStore::syncDirectory);
  }

  LocalBlobStore(Path root, DirectorySync directorySync) {
    Objects.requireNonNull(root, "root");
    this.directorySync =
        warnOnceWhereUnsupported(Objects.requireNonNull(directorySync, "directorySync"));
    try {
      Path absolute = root.toAbsolutePath().normalize();
      Path existing = absolute;
      while (existing != null && !Files.isDirectory(existing)) {
        existing = existing.getParent();
      }
      Files.createDirectories(absolute);
      this.root = absolute.toRealPath();
      // Every directory created here: its entry in its parent.
      for (Path p = absolute; existing != null && !p.equals(existing); p = p.getParent()) {
        this.directorySync.sync(p.getParent());
      }
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
      ensureDirectory(dir, sha256);
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
      directorySync.sync(dir); // the new name
      return ref;
    } catch (IOException e) {
      throw new UncheckedIOException("storing blob " + sha256 + " failed", e);
    }
  }

  /**
   * Creates {@code root/ab/cd} when missing, and flushes the entry of each level in its parent
   * ({@code ab} in the root, {@code cd} in {@code ab}) the first time this store uses that level:
   * also when another writer created it a moment ago, since that writer's flush may not have run
   * yet. One bit per directory (256 + 65,536 of them) remembers which entries are flushed, so a put
   * into a known directory flushes only that directory, after its rename.
   */
  private void ensureDirectory(Path dir, String sha256) throws IOException {
    int abcd = Integer.parseInt(sha256.substring(0, 4), 16);
    int ab = abcd >>> 8;
    if (isSet(abcd) && Files.isDirectory(dir)) {
      return;
    }
    boolean abThere = Files.isDirectory(dir.getParent());
    Files.createDirectories(dir);
    if (!abThere || !isSet(AB_BITS + ab)) {
      directorySync.sync(root);
      set(AB_BITS + ab);
    }
    directorySync.sync(dir.getParent());
    set(abcd);
  }

  private boolean isSet(int index) {
    return (synced.get(index >>> 6) & (1L << (index & 63))) != 0;
  }

  private void set(int index) {
    synced.getAndAccumulate(index >>> 6, 1L << (index & 63), (a, b) -> a | b);
  }

  /**
   * Flushes {@code directory}'s entries (Linux and other POSIX systems: fsync on the directory).
   * Where directories cannot be opened for it (Windows), the file system orders metadata itself.
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

  /**
   * Where the file system does not flush directories ({@link FlushUnsupported}), the store goes on
   * as on Windows, and says so once: failing every put would stop the pipeline on a mount that can
   * never do better.
   */
  private static DirectorySync warnOnceWhereUnsupported(DirectorySync sync) {
    AtomicBoolean warned = new AtomicBoolean();
    return directory -> {
      try {
        sync.sync(directory);
      } catch (FlushUnsupported e) {
        if (warned.compareAndSet(false, true)) {
          log.warn(
              "The file system of blob.dir ({}) does not flush directories ({}): the names of new"
                  + " images reach its disk on its own schedule, so a power loss may lose images"
                  + " whose results are already published. Use a local disk (ext4, xfs) or"
                  + " blob.store=s3 where that matters.",
              directory,
              e.getCause().getMessage());
        }
      }
    };
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
