package io.editstream.processor.image;

import static io.editstream.processor.image.Loads.loaded;
import static io.editstream.processor.image.Loads.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.google.common.hash.Hashing;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageLoaderTest {

  @TempDir Path tmp;
  private Path root;
  private Path outside;
  private ExecutorService executor;
  private ImageLoader loader;

  @BeforeEach
  void setUp() throws IOException {
    executor = Executors.newFixedThreadPool(2);
    root = Files.createDirectories(tmp.resolve("root"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.write(root.resolve("rocket.jpg"), TestImages.resource("rocket.jpg"));
    Files.write(outside.resolve("secret.png"), TestImages.resource("chelsea.png"));
    loader =
        new ImageLoader(
            ImageLimits.defaults(), FetchPolicy.defaults().withFileRoot(root), executor);
  }

  @AfterEach
  void tearDown() {
    executor.shutdownNow();
  }

  static InputImage inline(String mimeType, byte[] bytes) {
    return InputImage.newBuilder().setMimeType(mimeType).setData(ByteBuffer.wrap(bytes)).build();
  }

  static InputImage byUri(String uri) {
    return InputImage.newBuilder().setMimeType("image/jpeg").setUri(uri).build();
  }

  @ParameterizedTest
  @CsvSource({
    "rocket.jpg, image/jpeg, JPEG, 640, 427",
    "chelsea.png, image/png, PNG, 451, 300",
    "coffee.webp, image/webp, WEBP, 600, 400",
    "coffee.heic, image/heic, HEIC, 600, 400"
  })
  void shouldLoadInlineSamples(String file, String mime, ImageType type, int width, int height) {
    byte[] bytes = TestImages.resource(file);
    LoadedImage image = loaded(loader.load(inline(mime, bytes), 0));
    assertThat(image.type()).isEqualTo(type);
    assertThat(image.mimeType()).isEqualTo(mime);
    assertThat(image.width()).isEqualTo(width);
    assertThat(image.height()).isEqualTo(height);
    assertThat(image.bytes()).isEqualTo(bytes);
    assertThat(image.sha256()).isEqualTo(Hashing.sha256().hashBytes(bytes).toString()).hasSize(64);
  }

  @Test
  void shouldTrustTheBytesNotTheDeclaredType() {
    LoadedImage image =
        loaded(loader.load(inline("image/png", TestImages.resource("rocket.jpg")), 0));
    assertThat(image.type()).isEqualTo(ImageType.JPEG);
  }

  @Test
  void shouldRejectANonImageLabelledPng() {
    byte[] html = "<html><body>hello</body></html>".getBytes(StandardCharsets.UTF_8);
    ImageRejectedException e = rejected(loader.load(inline("image/png", html), 2));
    assertThat(e.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(e.field()).isEqualTo("images[2].data");
    assertThat(e.getMessage())
        .isEqualTo("images[2].data: the bytes are not a JPEG, PNG, WebP, HEIC or HEIF image");
    assertThat(e.retryable()).isFalse();
  }

  @Test
  void shouldRejectRandomBytes() {
    byte[] random = new byte[10_000];
    new Random(7).nextBytes(random);
    random[0] = 0;
    assertThat(rejected(loader.load(inline("image/jpeg", random), 0)).code())
        .isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
  }

  @Test
  void shouldRejectATruncatedImageWhoseHeaderCannotBeRead() {
    byte[] truncated = java.util.Arrays.copyOf(TestImages.resource("coffee.webp"), 16);
    ImageRejectedException e = rejected(loader.load(inline("image/webp", truncated), 0));
    assertThat(e.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(e.getMessage()).contains("start like WEBP but its header cannot be read");
  }

  @Test
  void shouldRejectAPngCutShortAfterItsHeader() {
    byte[] cut = java.util.Arrays.copyOf(TestImages.resource("chelsea.png"), 5_000);
    ImageRejectedException e = rejected(loader.load(inline("image/png", cut), 0));
    assertThat(e.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(e.field()).isEqualTo("images[0].data");
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage())
        .isEqualTo(
            "images[0].data: the bytes are not a complete, well-formed PNG: chunk iTXt at byte 2691"
                + " declares 3122 data bytes, only 2297 remain (truncated)");
  }

  @ParameterizedTest
  @CsvSource({
    "rocket.jpg, image/jpeg",
    "chelsea.png, image/png",
    "coffee.webp, image/webp",
    "coffee.heic, image/heic"
  })
  void shouldRejectEveryFormatCutShortOrWithACorruptLength(String file, String mime)
      throws IOException {
    byte[] full = TestImages.resource(file);
    Files.write(root.resolve("cut-" + file), java.util.Arrays.copyOf(full, full.length - 1));
    List<byte[]> broken =
        List.of(
            java.util.Arrays.copyOf(full, full.length / 2),
            java.util.Arrays.copyOf(full, full.length - 1),
            withCorruptLength(full, ImageSniffer.sniff(full).orElseThrow()));
    for (byte[] bytes : broken) {
      ImageRejectedException e = rejected(loader.load(inline(mime, bytes), 4));
      assertThat(e.code())
          .as("%s of %d bytes", file, bytes.length)
          .isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
      assertThat(e.getMessage()).startsWith("images[4].data: ");
    }
    ImageRejectedException byFile =
        rejected(loader.load(byUri(root.resolve("cut-" + file).toUri().toString()), 1));
    assertThat(byFile.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(byFile.getMessage()).startsWith("images[1].uri: ");
  }

  /** The first length field of the file, made larger than the file. */
  private static byte[] withCorruptLength(byte[] full, ImageType type) {
    byte[] bad = full.clone();
    ByteBuffer b = ByteBuffer.wrap(bad);
    switch (type) {
      case PNG -> b.putInt(33, b.getInt(33) + 1_000_000); // the chunk after IHDR
      case JPEG -> b.putShort(4, (short) 0xFFF0); // the segment after SOI
      case WEBP -> b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(16, full.length); // VP8
      case HEIC, HEIF -> b.putInt(0, b.getInt(0) + 4); // ftyp
    }
    return bad;
  }

  @Test
  void shouldRejectADecompressionBombFromItsHeader() {
    // 50,000 x 50,000 RGBA would need 10 GB decoded; the test JVM has 1 GB, so any decode would
    // fail with an OutOfMemoryError instead of this rejection.
    byte[] bomb = TestImages.pngHeader(50_000, 50_000);
    ImageRejectedException e = rejected(loader.load(inline("image/png", bomb), 1));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_DIMENSIONS_TOO_LARGE);
    assertThat(e.getMessage())
        .isEqualTo(
            "images[1].data: PNG header declares 50000x50000 = 2500000000 pixels, at most 50000000"
                + " allowed");
  }

  @Test
  void shouldAcceptA4096SquareImageHeader() {
    LoadedImage image =
        loaded(loader.load(inline("image/png", TestImages.pngHeader(4096, 4096)), 0));
    assertThat(image.width()).isEqualTo(4096);
  }

  @Test
  void shouldCheckTheDeclaredDigest() {
    byte[] bytes = TestImages.resource("coffee.webp");
    String sha = Hashing.sha256().hashBytes(bytes).toString();
    InputImage good =
        InputImage.newBuilder()
            .setMimeType("image/webp")
            .setData(ByteBuffer.wrap(bytes))
            .setSha256(sha.toUpperCase())
            .build();
    assertThat(loaded(loader.load(good, 0)).sha256()).isEqualTo(sha);

    InputImage bad =
        InputImage.newBuilder()
            .setMimeType("image/webp")
            .setData(ByteBuffer.wrap(bytes))
            .setSha256("0".repeat(64))
            .build();
    ImageRejectedException e = rejected(loader.load(bad, 3));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_DIGEST_MISMATCH);
    assertThat(e.field()).isEqualTo("images[3].sha256");
    assertThat(e.getMessage()).startsWith("images[3].sha256: does not match the image bytes");
  }

  @Test
  void shouldRejectInlineBytesOverTheLimit() {
    ImageLoader small =
        new ImageLoader(new ImageLimits(1000, 50_000_000), FetchPolicy.defaults(), executor);
    ImageRejectedException e =
        rejected(small.load(inline("image/jpeg", TestImages.resource("rocket.jpg")), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(e.getMessage()).isEqualTo("images[0].data: is 112525 bytes, at most 1000 allowed");
  }

  @Test
  void shouldRejectImagesWithBothOrNoSource() {
    InputImage both =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setData(ByteBuffer.wrap(new byte[1]))
            .setUri("file:///x.png")
            .build();
    assertThat(rejected(loader.load(both, 0)).code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(
            rejected(loader.load(InputImage.newBuilder().setMimeType("image/png").build(), 0))
                .code())
        .isEqualTo(FailureCode.INVALID_JOB);
  }

  // ---- file: ----

  @Test
  void shouldReadAFileBelowTheRoot() {
    LoadedImage image =
        loaded(loader.load(byUri(root.resolve("rocket.jpg").toUri().toString()), 0));
    assertThat(image.type()).isEqualTo(ImageType.JPEG);
    assertThat(image.width()).isEqualTo(640);
  }

  @Test
  void shouldRejectDotDotEscapes() {
    String escape = root.toUri() + "../outside/secret.png";
    ImageRejectedException e = rejected(loader.load(byUri(escape), 4));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).isEqualTo("images[4].uri: path is outside the allowed file root");
    String encoded = root.toUri() + "%2e%2e/outside/secret.png";
    assertThat(rejected(loader.load(byUri(encoded), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
  }

  @Test
  void shouldDescribeHostLessUrisWithoutANullHost() {
    assertThat(ImageLoader.describe(java.net.URI.create("file:///srv/images/a.png")))
        .isEqualTo("file:///srv/images/a.png");
    assertThat(ImageLoader.describe(java.net.URI.create("http://img.example.com:8080/a.png?sig=x")))
        .isEqualTo("http://img.example.com:8080/a.png?…");
  }

  @Test
  void shouldRejectAbsolutePathsElsewhere() {
    assertThat(rejected(loader.load(byUri("file:///etc/passwd"), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(
            rejected(loader.load(byUri(outside.resolve("secret.png").toUri().toString()), 0))
                .code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
  }

  @Test
  void shouldRejectSymlinksLeadingOutOfTheRoot() throws IOException {
    Path link =
        Files.createSymbolicLink(root.resolve("innocent.png"), outside.resolve("secret.png"));
    ImageRejectedException e = rejected(loader.load(byUri(link.toUri().toString()), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).contains("symbolic link");

    Path dirLink = Files.createSymbolicLink(root.resolve("shared"), outside);
    String viaDir = dirLink.toUri() + "secret.png";
    assertThat(rejected(loader.load(byUri(viaDir), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
  }

  @Test
  void shouldFollowSymlinksThatStayInsideTheRoot() throws IOException {
    Path link = Files.createSymbolicLink(root.resolve("alias.jpg"), root.resolve("rocket.jpg"));
    assertThat(loaded(loader.load(byUri(link.toUri().toString()), 0)).type())
        .isEqualTo(ImageType.JPEG);
  }

  @Test
  void shouldRejectFileUrisWithHostOrQueryAndDirectories() {
    assertThat(
            rejected(loader.load(byUri("file://otherhost" + root.resolve("rocket.jpg")), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(rejected(loader.load(byUri(root.resolve("rocket.jpg").toUri() + "?x=1"), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(rejected(loader.load(byUri("file:rocket.jpg"), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    ImageRejectedException dir = rejected(loader.load(byUri(root.toUri().toString()), 0));
    assertThat(dir.getMessage()).isEqualTo("images[0].uri: is not a regular file");
  }

  @Test
  void shouldReportMissingFilesAsPermanentFetchFailures() {
    ImageRejectedException e =
        rejected(loader.load(byUri(root.resolve("nope.png").toUri().toString()), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).isEqualTo("images[0].uri: file does not exist");
  }

  @Test
  void shouldCheckFileSizeBeforeReading() throws IOException {
    Path big = root.resolve("big.png");
    try (var channel =
        java.nio.channels.FileChannel.open(
            big,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(TestImages.pngHeader(10, 10)), 0);
      channel.write(ByteBuffer.wrap(new byte[1]), 200L * 1024 * 1024); // sparse 200 MB file
    }
    ImageRejectedException e = rejected(loader.load(byUri(big.toUri().toString()), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(e.getMessage())
        .startsWith("images[0].uri: is 209715201 bytes, at most 20971520 allowed");
  }

  @Test
  void shouldRejectFileUrisWhenNoRootIsConfigured() {
    ImageLoader noFiles = new ImageLoader(ImageLimits.defaults(), FetchPolicy.defaults(), executor);
    ImageRejectedException e =
        rejected(noFiles.load(byUri(root.resolve("rocket.jpg").toUri().toString()), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).contains("file: URIs are disabled");
  }

  @Test
  void shouldRejectOtherSchemesAndBadUris() {
    ImageRejectedException ftp = rejected(loader.load(byUri("ftp://example.com/a.png"), 5));
    assertThat(ftp.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(ftp.getMessage()).isEqualTo("images[5].uri: scheme 'ftp' is not allowed (file)");
    assertThat(rejected(loader.load(byUri("jar:file:/x.jar!/a.png"), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(rejected(loader.load(byUri("http://bad host/"), 0)).code())
        .isEqualTo(FailureCode.INVALID_JOB);
  }

  @Test
  void shouldFailOnAMissingRootAtConstruction() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                new ImageLoader(
                    ImageLimits.defaults(),
                    FetchPolicy.defaults().withFileRoot(tmp.resolve("missing")),
                    executor))
        .withMessageContaining("fileRoot");
  }

  @Test
  void shouldLoadAllInOrderOrFailWithTheFirstBadImage() {
    List<LoadedImage> all =
        loaded(
            loader.loadAll(
                List.of(
                    inline("image/png", TestImages.resource("chelsea.png")),
                    byUri(root.resolve("rocket.jpg").toUri().toString()))));
    assertThat(all).extracting(LoadedImage::type).containsExactly(ImageType.PNG, ImageType.JPEG);

    ImageRejectedException e =
        rejected(
            loader.loadAll(
                List.of(
                    inline("image/png", TestImages.resource("chelsea.png")),
                    inline("image/png", new byte[] {1, 2, 3}),
                    byUri("file:///etc/passwd"))));
    assertThat(e.field()).isEqualTo("images[1].data");
  }
}
