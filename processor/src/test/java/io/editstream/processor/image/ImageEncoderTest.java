package io.editstream.processor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageEncoderTest {

  private final ImageEncoder encoder = new ImageEncoder(ImageLimits.defaults());

  @Test
  void shouldPassPngThroughUnchanged() {
    byte[] png = TestImages.resource("chelsea.png");
    EncodedImage out = encoder.encode(png, ImageFormat.PNG);
    assertThat(out.bytes()).isSameAs(png);
    assertThat(out.type()).isEqualTo(ImageType.PNG);
    assertThat(out.width()).isEqualTo(451);
    assertThat(out.height()).isEqualTo(300);
    assertThat(out.formatSubstituted()).isFalse();
  }

  @Test
  void shouldReencodePngAsJpegFlatteningAlphaOntoWhite() throws IOException {
    byte[] png = TestImages.png(64, 32); // left half red, right half transparent
    EncodedImage out = encoder.encode(png, ImageFormat.JPEG);
    assertThat(out.type()).isEqualTo(ImageType.JPEG);
    assertThat(out.mimeType()).isEqualTo("image/jpeg");
    assertThat(ImageSniffer.sniff(out.bytes())).contains(ImageType.JPEG);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getWidth()).isEqualTo(64);
    assertThat(decoded.getHeight()).isEqualTo(32);
    assertThat(out.width()).isEqualTo(64);
    int left = decoded.getRGB(8, 16);
    int right = decoded.getRGB(56, 16);
    assertThat((left >> 16) & 0xFF).isGreaterThan(200); // red stays red
    assertThat((left >> 8) & 0xFF).isLessThan(60);
    assertThat(right & 0xFFFFFF).isGreaterThan(0xF0F0F0); // transparent became white
  }

  @Test
  void shouldReencodeJpegAsPng() throws IOException {
    EncodedImage out = encoder.encode(TestImages.resource("rocket.jpg"), ImageFormat.PNG);
    assertThat(out.type()).isEqualTo(ImageType.PNG);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getWidth()).isEqualTo(640);
    assertThat(decoded.getHeight()).isEqualTo(427);
  }

  @Test
  void shouldHaveLibwebpOnThisHost() {
    // The bundled native library loads here (Linux x86_64); a host where it cannot is told why.
    assertThat(encoder.webpUnavailable()).isEmpty();
  }

  @Test
  void shouldEncodeWebpWhenWebpIsRequested() throws IOException {
    byte[] png = TestImages.resource("chelsea.png");
    EncodedImage out = encoder.encode(png, ImageFormat.WEBP);

    assertThat(out.type()).isEqualTo(ImageType.WEBP);
    assertThat(out.mimeType()).isEqualTo("image/webp");
    assertThat(out.formatSubstituted()).isFalse();
    assertThat(ImageSniffer.sniff(out.bytes())).contains(ImageType.WEBP);
    assertThat(out.bytes().length).isLessThan(png.length / 2); // lossy, far smaller than PNG
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getWidth()).isEqualTo(out.width()).isEqualTo(451);
    assertThat(decoded.getHeight()).isEqualTo(out.height()).isEqualTo(300);
    BufferedImage source = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(meanDifference(decoded, source)).as("the same picture").isLessThan(8);
  }

  @Test
  void shouldEncodeAJpegAsWebp() throws IOException {
    EncodedImage out = encoder.encode(TestImages.resource("rocket.jpg"), ImageFormat.WEBP);

    assertThat(out.type()).isEqualTo(ImageType.WEBP);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getWidth()).isEqualTo(640);
    assertThat(decoded.getHeight()).isEqualTo(427);
  }

  @Test
  void shouldKeepTransparencyInWebp() throws IOException {
    byte[] png = TestImages.png(64, 32); // left half red, right half transparent
    EncodedImage out = encoder.encode(png, ImageFormat.WEBP);

    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getColorModel().hasAlpha()).isTrue();
    assertThat(decoded.getRGB(8, 16) >>> 24).isGreaterThan(240);
    assertThat((decoded.getRGB(8, 16) >> 16) & 0xFF).isGreaterThan(200);
    assertThat(decoded.getRGB(56, 16) >>> 24).isLessThan(16);
  }

  @Test
  void shouldReencodeWebpAsPng() throws IOException {
    EncodedImage out = encoder.encode(TestImages.resource("coffee.webp"), ImageFormat.PNG);

    assertThat(out.type()).isEqualTo(ImageType.PNG);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(out.bytes()));
    assertThat(decoded.getWidth()).isEqualTo(600);
    assertThat(decoded.getHeight()).isEqualTo(400);
  }

  @Test
  void shouldPublishPngAndSayWhyWhenLibwebpCannotLoad() {
    WebpWriter broken =
        WebpWriter.probe(
            () -> {
              throw new UnsatisfiedLinkError("no webp-imageio in java.library.path");
            });
    ImageEncoder withoutWebp = new ImageEncoder(ImageLimits.defaults(), broken);
    byte[] png = TestImages.resource("chelsea.png");

    EncodedImage out = withoutWebp.encode(png, ImageFormat.WEBP);

    assertThat(withoutWebp.webpUnavailable())
        .hasValueSatisfying(
            reason ->
                assertThat(reason)
                    .contains("libwebp could not be loaded")
                    .contains("no webp-imageio in java.library.path"));
    assertThat(out.type()).isEqualTo(ImageType.PNG);
    assertThat(out.mimeType()).isEqualTo("image/png");
    assertThat(out.requestedFormat()).isEqualTo(ImageFormat.WEBP);
    assertThat(out.formatSubstituted()).isTrue();
    assertThat(out.bytes()).isSameAs(png);
  }

  /** Mean absolute difference per channel (0..255). */
  private static double meanDifference(BufferedImage a, BufferedImage b) {
    long sum = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((p >> shift) & 0xFF) - ((q >> shift) & 0xFF));
        }
      }
    }
    return (double) sum / (3L * a.getWidth() * a.getHeight());
  }

  @Test
  void shouldPassWebpThroughWhenWebpIsRequested() {
    byte[] webp = TestImages.resource("coffee.webp");
    EncodedImage out = encoder.encode(webp, ImageFormat.WEBP);
    assertThat(out.type()).isEqualTo(ImageType.WEBP);
    assertThat(out.formatSubstituted()).isFalse();
    assertThat(out.width()).isEqualTo(600);
  }

  @Test
  void shouldRejectModelOutputThatIsNoImage() {
    assertThatThrownBy(() -> encoder.encode("oops".getBytes(), ImageFormat.PNG))
        .isInstanceOfSatisfying(
            ImageRejectedException.class,
            e -> {
              assertThat(e.code()).isEqualTo(FailureCode.MODEL_ERROR);
              assertThat(e.getMessage()).startsWith("output: ");
            });
  }

  @Test
  void shouldCheckPixelsBeforeDecoding() {
    assertThatThrownBy(() -> encoder.encode(TestImages.pngHeader(50_000, 50_000), ImageFormat.JPEG))
        .isInstanceOfSatisfying(
            ImageRejectedException.class, e -> assertThat(e.getMessage()).contains("50000x50000"));
  }

  @Test
  void shouldRejectUndecodableImagesItMustConvert() {
    // A valid header with garbage pixel data cannot be re-encoded.
    assertThatThrownBy(() -> encoder.encode(TestImages.pngHeader(10, 10), ImageFormat.JPEG))
        .isInstanceOfSatisfying(
            ImageRejectedException.class,
            e -> assertThat(e.code()).isEqualTo(FailureCode.MODEL_ERROR));
    assertThatThrownBy(() -> encoder.encode(TestImages.resource("coffee.heic"), ImageFormat.JPEG))
        .isInstanceOfSatisfying(
            ImageRejectedException.class,
            e -> assertThat(e.getMessage()).contains("cannot convert a HEIC image"));
  }
}
