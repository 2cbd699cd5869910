package io.editstream.processor.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editstream.processor.image.EncodedImage;
import io.editstream.processor.image.ImageType;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBlobStoreTest {

  @TempDir Path tmp;

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void shouldStoreContentAddressedAndReadBack() throws Exception {
    LocalBlobStore store = new LocalBlobStore(tmp.resolve("blobs"));
    byte[] bytes = "pretend this is a png".getBytes(StandardCharsets.UTF_8);
    BlobRef ref = store.put(bytes, "image/png");
    String sha = sha256(bytes);

    assertThat(ref.sha256()).isEqualTo(sha);
    assertThat(ref.mimeType()).isEqualTo("image/png");
    assertThat(ref.sizeBytes()).isEqualTo(bytes.length);
    assertThat(ref.uri().getScheme()).isEqualTo("file");
    Path expected =
        store
            .root()
            .resolve(sha.substring(0, 2))
            .resolve(sha.substring(2, 4))
            .resolve(sha + ".png");
    assertThat(Path.of(ref.uri())).isEqualTo(expected);
    assertThat(Files.readAllBytes(expected)).isEqualTo(bytes);
    assertThat(store.get(ref.uri())).isEqualTo(bytes);
    assertThat(store.exists(ref.uri())).isTrue();
  }

  @Test
  void shouldBeIdempotentAndLeaveNoTemporaryFiles() throws Exception {
    LocalBlobStore store = new LocalBlobStore(tmp);
    byte[] bytes = {1, 2, 3};
    BlobRef first = store.put(bytes, "image/jpeg");
    // A rewrite goes through a temporary file and a rename: a new file (a new inode). The second
    // put only refreshes the time of the file that is there (retention counts from it).
    Object identity =
        Files.readAttributes(
                Path.of(first.uri()), java.nio.file.attribute.BasicFileAttributes.class)
            .fileKey();
    BlobRef second = store.put(bytes.clone(), "IMAGE/JPEG");
    assertThat(second).isEqualTo(first);
    assertThat(Path.of(first.uri()).getFileName().toString()).endsWith(".jpg");
    assertThat(identity).as("the file system gives files an identity").isNotNull();
    assertThat(
            Files.readAttributes(
                    Path.of(first.uri()), java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey())
        .as("not rewritten")
        .isEqualTo(identity);
    try (Stream<Path> files = Files.walk(tmp)) {
      assertThat(files.filter(Files::isRegularFile).toList()).containsExactly(Path.of(first.uri()));
    }
  }

  @Test
  void shouldSurviveConcurrentWritersOfTheSameBlob() throws Exception {
    LocalBlobStore store = new LocalBlobStore(tmp);
    byte[] bytes = new byte[256 * 1024];
    new java.util.Random(1).nextBytes(bytes);
    List<CompletableFuture<BlobRef>> writers =
        IntStream.range(0, 8)
            .mapToObj(i -> CompletableFuture.supplyAsync(() -> store.put(bytes, "image/webp")))
            .toList();
    List<BlobRef> refs = writers.stream().map(CompletableFuture::join).distinct().toList();
    assertThat(refs).hasSize(1);
    assertThat(store.get(refs.get(0).uri())).isEqualTo(bytes);
    try (Stream<Path> files = Files.walk(tmp)) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(1);
    }
  }

  @Test
  void shouldUseBinForUnknownTypes() {
    LocalBlobStore store = new LocalBlobStore(tmp);
    assertThat(store.put(new byte[] {9}, "application/x-thing").uri().toString()).endsWith(".bin");
    assertThatIllegalArgumentException().isThrownBy(() -> store.put(new byte[] {9}, " "));
  }

  @Test
  void shouldRefuseUrisOutsideTheStore() throws IOException {
    LocalBlobStore store = new LocalBlobStore(tmp.resolve("blobs"));
    Path elsewhere = Files.writeString(tmp.resolve("secret.txt"), "secret");
    URI escape = URI.create(store.root().toUri() + "../secret.txt");
    assertThat(store.exists(escape)).isFalse();
    assertThatIllegalArgumentException().isThrownBy(() -> store.get(escape));
    assertThatIllegalArgumentException().isThrownBy(() -> store.get(elsewhere.toUri()));
    assertThat(store.exists(URI.create("https://example.com/a.png"))).isFalse();
  }

  @Test
  void shouldReportMissingBlobsAsIoErrors() {
    LocalBlobStore store = new LocalBlobStore(tmp);
    URI missing = store.root().resolve("ab/cd/" + "ab".repeat(32) + ".png").toUri();
    assertThat(store.exists(missing)).isFalse();
    assertThatThrownBy(() -> store.get(missing)).isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void shouldPublishOutputImagesInlineOnlyWhenSmall() throws Exception {
    LocalBlobStore store = new LocalBlobStore(tmp);
    byte[] bytes = new byte[1000];
    EncodedImage image = new EncodedImage(bytes, ImageType.PNG, 20, 10, ImageFormat.PNG);

    OutputImage small = OutputImages.publish(store, image, 1000);
    assertThat(small.getSha256()).isEqualTo(sha256(bytes));
    assertThat(small.getMimeType()).isEqualTo("image/png");
    assertThat(small.getWidth()).isEqualTo(20);
    assertThat(small.getHeight()).isEqualTo(10);
    assertThat(small.getSizeBytes()).isEqualTo(1000);
    assertThat(small.getData()).isNotNull();
    assertThat(store.get(URI.create(small.getUri()))).isEqualTo(bytes);

    OutputImage large = OutputImages.publish(store, image, 999);
    assertThat(large.getData()).isNull();
    assertThat(large.getUri()).isEqualTo(small.getUri());
  }

  /** What a {@link LocalBlobStore.DirectorySync} was asked, and whether a blob's name was there. */
  private static final class RecordingSync implements LocalBlobStore.DirectorySync {
    final List<Path> synced = new java.util.ArrayList<>();
    final List<Boolean> blobThere = new java.util.ArrayList<>();
    Path blob;
    boolean fail;
    boolean unsupported;

    @Override
    public void sync(Path directory) throws IOException {
      if (fail) {
        throw new IOException("fsync: input/output error");
      }
      if (unsupported) {
        throw new LocalBlobStore.FlushUnsupported(directory, new IOException("Invalid argument"));
      }
      synced.add(directory);
      blobThere.add(blob != null && Files.isRegularFile(blob));
    }
  }

  @Test
  void shouldFlushNewDirectoriesAndTheBlobsNameBeforePutReturns() throws Exception {
    RecordingSync sync = new RecordingSync();
    Path root = tmp.resolve("a/b");
    LocalBlobStore store = new LocalBlobStore(root, sync);
    assertThat(sync.synced)
        .as("the entries of the new a and b")
        .containsExactlyInAnyOrder(tmp, tmp.resolve("a"));

    byte[] bytes = "a finished image".getBytes(StandardCharsets.UTF_8);
    String sha = sha256(bytes);
    Path ab = store.root().resolve(sha.substring(0, 2));
    Path cd = ab.resolve(sha.substring(2, 4));
    sync.blob = cd.resolve(sha + ".png");
    sync.synced.clear();
    sync.blobThere.clear();
    store.put(bytes, "image/png");
    assertThat(sync.synced).containsExactly(store.root(), ab, cd);
    assertThat(sync.blobThere).as("flushed after the rename").containsExactly(false, false, true);

    // The directory is known now: a new blob in it flushes only the directory, after the rename.
    Files.delete(sync.blob);
    sync.synced.clear();
    sync.blobThere.clear();
    store.put(bytes, "image/png");
    assertThat(sync.synced).containsExactly(cd);
    assertThat(sync.blobThere).containsExactly(true);

    // Another blob under the same ab/ but in a new cd/: ab/'s entry in the root is known.
    byte[] sibling = siblingOf(sha);
    String siblingSha = sha256(sibling);
    Path otherCd = ab.resolve(siblingSha.substring(2, 4));
    sync.blob = otherCd.resolve(siblingSha + ".png");
    sync.synced.clear();
    sync.blobThere.clear();
    store.put(sibling, "image/png");
    assertThat(sync.synced).containsExactly(ab, otherCd);
    assertThat(sync.blobThere).containsExactly(false, true);

    // A directory removed behind the store's back is made and flushed again.
    sync.blob = cd.resolve(sha + ".png");
    Files.delete(otherCd.resolve(siblingSha + ".png"));
    Files.delete(otherCd);
    Files.delete(sync.blob);
    Files.delete(cd);
    Files.delete(ab);
    sync.synced.clear();
    store.put(bytes, "image/png");
    assertThat(sync.synced).containsExactly(store.root(), ab, cd);
    assertThat(store.get(sync.blob.toUri())).isEqualTo(bytes);
  }

  /**
   * Bytes whose SHA-256 starts with the same two hex digits as {@code sha}, but not the same four.
   */
  private static byte[] siblingOf(String sha) throws Exception {
    for (int i = 0; ; i++) {
      byte[] candidate = ("sibling " + i).getBytes(StandardCharsets.UTF_8);
      String s = sha256(candidate);
      if (s.startsWith(sha.substring(0, 2)) && !s.startsWith(sha.substring(0, 4))) {
        return candidate;
      }
    }
  }

  @Test
  void shouldFailAPutWhoseNameCannotBeFlushed() throws Exception {
    RecordingSync sync = new RecordingSync();
    LocalBlobStore store = new LocalBlobStore(tmp, sync);
    sync.fail = true;
    assertThatThrownBy(() -> store.put(new byte[] {7, 7}, "image/png"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("storing blob " + sha256(new byte[] {7, 7}))
        .hasRootCauseMessage("fsync: input/output error");
  }

  @Test
  void shouldFlushDirectoriesForRealOnThisFileSystem() throws Exception {
    // The real sync opens each directory: it must not fail where the store runs (Linux, macOS).
    LocalBlobStore store = new LocalBlobStore(tmp.resolve("new/root"));
    byte[] bytes = {1, 2, 3, 4};
    assertThat(store.get(store.put(bytes, "image/png").uri())).isEqualTo(bytes);
    LocalBlobStore.syncDirectory(store.root());
  }

  @Test
  void shouldKeepStoringWhereTheFileSystemDoesNotFlushDirectories() throws Exception {
    RecordingSync sync = new RecordingSync();
    sync.unsupported = true;
    LocalBlobStore store = new LocalBlobStore(tmp.resolve("fuse"), sync);

    byte[] first = {1, 2, 3};
    byte[] second = {4, 5, 6};
    assertThat(store.get(store.put(first, "image/png").uri())).isEqualTo(first);
    assertThat(store.get(store.put(second, "image/png").uri())).isEqualTo(second);
  }

  @Test
  void shouldTellAFileSystemThatCannotFlushDirectoriesFromAFailingDisk() {
    // procfs has no fsync: the kernel answers EINVAL, as some network and FUSE mounts do.
    Path proc = Path.of("/proc");
    assumeTrue(Files.isDirectory(proc.resolve("self")), "needs Linux's /proc");

    assertThatThrownBy(() -> LocalBlobStore.syncDirectory(proc))
        .isInstanceOf(LocalBlobStore.FlushUnsupported.class)
        .hasMessageContaining("/proc does not flush directories")
        .hasRootCauseMessage("Invalid argument");
  }
}
