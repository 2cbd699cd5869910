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
  void shouldPublishPngWhenWebpIsRequestedAndSaySo() {
    byte[] png = TestImages.resource("chelsea.png");
    EncodedImage out = encoder.encode(png, ImageFormat.WEBP);
    assertThat(out.type()).isEqualTo(ImageType.PNG);
    assertThat(out.requestedFormat()).isEqualTo(ImageFormat.WEBP);
    assertThat(out.formatSubstituted()).isTrue();
    assertThat(out.bytes()).isSameAs(png);
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
