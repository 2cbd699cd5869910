package io.editstream.processor.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
