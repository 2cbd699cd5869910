package io.editstream.processor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageProbeTest {

  @ParameterizedTest
  @CsvSource({
    "rocket.jpg, JPEG, 640, 427",
    "chelsea.png, PNG, 451, 300",
    "coffee.webp, WEBP, 600, 400",
    "coffee.heic, HEIC, 600, 400"
  })
  void shouldSniffAndMeasureRealSamples(String file, ImageType type, int width, int height) {
    byte[] bytes = TestImages.resource(file);
    assertThat(ImageSniffer.sniff(bytes)).contains(type);
    assertThat(ImageProbe.dimensions(bytes, type)).contains(new Dimensions(width, height));
  }

  @Test
  void shouldReadTheDeclaredSizeOfADecompressionBombWithoutDecoding() {
    byte[] bomb = TestImages.pngHeader(50_000, 50_000);
    assertThat(bomb.length).isLessThan(100);
    assertThat(ImageSniffer.sniff(bomb)).contains(ImageType.PNG);
    Dimensions d = ImageProbe.dimensions(bomb, ImageType.PNG).orElseThrow();
    assertThat(d.pixels()).isEqualTo(2_500_000_000L);
  }

  @Test
  void shouldNotSniffRandomBytesOrText() {
    byte[] random = new byte[4096];
    new Random(42).nextBytes(random);
    random[0] = 0x00; // make sure it is no accidental JPEG
    assertThat(ImageSniffer.sniff(random)).isEmpty();
    assertThat(ImageSniffer.sniff("<html>not an image</html>".getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
    assertThat(ImageSniffer.sniff(new byte[0])).isEmpty();
    assertThat(ImageSniffer.sniff(null)).isEmpty();
    // GIF is an image, but not one the model takes.
    assertThat(ImageSniffer.sniff("GIF89a\1\0\1\0".getBytes(StandardCharsets.ISO_8859_1)))
        .isEmpty();
  }

  @Test
  void shouldTellHeicHeifAndAvifApartByBrand() {
    assertThat(ImageSniffer.sniff(ftyp("mif1", "mif1", "heic"))).contains(ImageType.HEIC);
    assertThat(ImageSniffer.sniff(ftyp("heix", "mif1"))).contains(ImageType.HEIC);
    assertThat(ImageSniffer.sniff(ftyp("msf1", "msf1", "hevc"))).contains(ImageType.HEIC);
    assertThat(ImageSniffer.sniff(ftyp("mif1", "mif1", "miaf"))).contains(ImageType.HEIF);
    assertThat(ImageSniffer.sniff(ftyp("avif", "avif", "mif1", "miaf"))).isEmpty();
    assertThat(ImageSniffer.sniff(ftyp("isom", "isom", "mp41"))).isEmpty(); // an MP4 video
  }

  @Test
  void shouldTakeTheLargestExtentOfAGriddedHeif() {
    // Tiles are 512x512, the grid item declares the real canvas: the guard must see the grid.
    byte[] heif = heifWithExtents(new int[] {512, 512}, new int[] {60_000, 40_000});
    assertThat(ImageProbe.dimensions(heif, ImageType.HEIC))
        .contains(new Dimensions(60_000, 40_000));
  }

  @Test
  void shouldFailCleanlyOnTruncatedAndHostileHeaders() {
    for (String file : new String[] {"rocket.jpg", "chelsea.png", "coffee.webp", "coffee.heic"}) {
      byte[] full = TestImages.resource(file);
      ImageType type = ImageSniffer.sniff(full).orElseThrow();
      for (int cut : new int[] {3, 12, 20}) { // a PNG header is complete after 24 bytes
        byte[] truncated = Arrays.copyOf(full, cut);
        assertThat(ImageProbe.dimensions(truncated, type)).as(file + " cut at " + cut).isEmpty();
      }
    }
    // Chunk and box sizes near 2^31 must not make anything allocate them.
    byte[] webp =
        concat(
            ascii("RIFF"),
            le(0x7FFFFFF0),
            ascii("WEBP"),
            ascii("VP8 "),
            le(0x7FFFFFF0),
            new byte[64]);
    assertThat(ImageProbe.dimensions(webp, ImageType.WEBP)).isEmpty();
    byte[] heif = concat(ftyp("heic", "mif1"), be(0x7FFFFFF0), ascii("meta"), new byte[64]);
    assertThat(ImageProbe.dimensions(heif, ImageType.HEIC)).isEmpty();
    byte[] png = TestImages.pngHeader(1, 1);
    ByteBuffer.wrap(png).putInt(8, 0x7FFFFFF0);
    assertThat(ImageProbe.dimensions(png, ImageType.PNG)).isEmpty();
    assertThat(ImageProbe.dimensions(TestImages.pngHeader(0, 10), ImageType.PNG)).isEmpty();
  }

  @Test
  void shouldFindNoDimensionsForTheWrongType() {
    assertThat(ImageProbe.dimensions(TestImages.resource("rocket.jpg"), ImageType.PNG)).isEmpty();
  }

  static byte[] ftyp(String major, String... compatible) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(be(16 + 4 * compatible.length));
    out.writeBytes(ascii("ftyp"));
    out.writeBytes(ascii(major));
    out.writeBytes(be(0));
    for (String brand : compatible) {
      out.writeBytes(ascii(brand));
    }
    return out.toByteArray();
  }

  static byte[] heifWithExtents(int[]... extents) {
    ByteArrayOutputStream ispes = new ByteArrayOutputStream();
    for (int[] e : extents) {
      ispes.writeBytes(concat(be(20), ascii("ispe"), be(0), be(e[0]), be(e[1])));
    }
    byte[] ipco = box("ipco", ispes.toByteArray());
    byte[] iprp = box("iprp", ipco);
    byte[] hdlr = box("hdlr", concat(be(0), be(0), ascii("pict"), new byte[13]));
    byte[] meta = box("meta", concat(be(0), hdlr, iprp));
    return concat(ftyp("heic", "mif1", "heic"), meta);
  }

  static byte[] box(String type, byte[] content) {
    return concat(be(8 + content.length), ascii(type), content);
  }

  static byte[] be(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
