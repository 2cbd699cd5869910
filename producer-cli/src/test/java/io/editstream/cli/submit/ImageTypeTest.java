package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.TestImages;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImageTypeTest {
  @Test
  void shouldRecogniseEverySampleByItsBytes() throws Exception {
    assertThat(sniff(TestImages.bytes(TestImages.JPEG))).isEqualTo(ImageType.JPEG);
    assertThat(sniff(TestImages.bytes(TestImages.PNG))).isEqualTo(ImageType.PNG);
    assertThat(sniff(TestImages.bytes(TestImages.WEBP))).isEqualTo(ImageType.WEBP);
    assertThat(sniff(TestImages.bytes(TestImages.HEIC))).isEqualTo(ImageType.HEIC);
  }

  @Test
  void shouldRecogniseHeifByItsBrand() {
    byte[] head = "\0\0\0\u0018ftypmif1\0\0\0\0mif1heic".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(sniff(head)).isEqualTo(ImageType.HEIF);
  }

  @Test
  void shouldRejectOtherBytes() {
    assertThat(ImageType.sniff("%PDF-1.7".getBytes(StandardCharsets.US_ASCII), 8)).isEmpty();
    assertThat(ImageType.sniff("GIF89a".getBytes(StandardCharsets.US_ASCII), 6)).isEmpty();
    assertThat(ImageType.sniff(new byte[0], 0)).isEmpty();
    byte[] avif = "\0\0\0\u001cftypavif".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(ImageType.sniff(avif, avif.length)).isEmpty();
  }

  @Test
  void shouldReadTheTypeAUrlDeclares() {
    assertThat(ImageType.fromExtension("/p/shoe.JPG?w=100")).contains(ImageType.JPEG);
    assertThat(ImageType.fromExtension("/p/shoe.heif")).contains(ImageType.HEIF);
    assertThat(ImageType.fromExtension("/p.d/shoe")).isEmpty();
    assertThat(ImageType.fromExtension("/p/shoe.gif")).isEmpty();
  }

  private static ImageType sniff(byte[] bytes) {
    return ImageType.sniff(bytes, Math.min(bytes.length, ImageType.SNIFF_BYTES)).orElseThrow();
  }
}
