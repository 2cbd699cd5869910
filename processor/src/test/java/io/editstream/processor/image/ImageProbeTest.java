package io.editstream.processor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
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

  // ---- structure: complete and consistent files only --------------------------------------

  @ParameterizedTest
  @CsvSource({"rocket.jpg, JPEG", "chelsea.png, PNG", "coffee.webp, WEBP", "coffee.heic, HEIC"})
  void shouldFindRealSamplesComplete(String file, ImageType type) {
    assertThat(ImageProbe.whyMalformed(TestImages.resource(file), type)).isEmpty();
  }

  @Test
  void shouldFindGeneratedImagesComplete() throws IOException {
    assertThat(ImageProbe.whyMalformed(TestImages.png(64, 32), ImageType.PNG)).isEmpty();
    assertThat(ImageProbe.whyMalformed(TestImages.pngHeader(4096, 4096), ImageType.PNG)).isEmpty();
    assertThat(ImageProbe.whyMalformed(jpeg(false), ImageType.JPEG)).isEmpty();
    // Progressive: many scans, with tables between them.
    assertThat(ImageProbe.whyMalformed(jpeg(true), ImageType.JPEG)).isEmpty();
  }

  @Test
  void shouldToleratePaddingAfterTheLogicalEnd() {
    for (String file : new String[] {"rocket.jpg", "chelsea.png", "coffee.webp"}) {
      byte[] padded =
          Arrays.copyOf(TestImages.resource(file), TestImages.resource(file).length + 64);
      ImageType type = ImageSniffer.sniff(padded).orElseThrow();
      assertThat(ImageProbe.whyMalformed(padded, type)).as(file).isEmpty();
    }
  }

  @ParameterizedTest
  @CsvSource({"rocket.jpg", "chelsea.png", "coffee.webp", "coffee.heic"})
  void shouldFindEveryTruncationOfARealSample(String file) {
    byte[] full = TestImages.resource(file);
    ImageType type = ImageSniffer.sniff(full).orElseThrow();
    List<Integer> cuts = new ArrayList<>(List.of(64, 1000, full.length / 2, full.length - 1));
    for (int i = 1; i < 100; i++) {
      cuts.add((int) ((long) full.length * i / 100));
    }
    for (int cut : cuts) {
      byte[] truncated = Arrays.copyOf(full, cut);
      assertThat(ImageProbe.whyMalformed(truncated, type))
          .as("%s cut at %d of %d bytes", file, cut, full.length)
          .isPresent();
    }
    assertThat(ImageProbe.whyMalformed(Arrays.copyOf(full, full.length - 1), type).orElseThrow())
        .contains("truncated");
  }

  @Test
  void shouldRejectACorruptPng() {
    byte[] png = TestImages.resource("chelsea.png");
    int idat = indexOf(png, "IDAT") - 4;

    byte[] longer = png.clone();
    ByteBuffer.wrap(longer).putInt(idat, ByteBuffer.wrap(png).getInt(idat) + 1_000_000);
    assertThat(ImageProbe.whyMalformed(longer, ImageType.PNG).orElseThrow())
        .startsWith("chunk IDAT at byte " + idat + " declares")
        .endsWith("remain (truncated)");

    byte[] shorter = png.clone();
    ByteBuffer.wrap(shorter).putInt(idat, ByteBuffer.wrap(png).getInt(idat) - 1);
    assertThat(ImageProbe.whyMalformed(shorter, ImageType.PNG).orElseThrow())
        .isEqualTo("chunk IDAT at byte " + idat + " fails its CRC (corrupt)");

    byte[] flipped = png.clone();
    flipped[idat + 100] ^= 0x01; // one bit of compressed pixel data
    assertThat(ImageProbe.whyMalformed(flipped, ImageType.PNG)).isPresent();

    byte[] ihdr = png.clone();
    ByteBuffer.wrap(ihdr).putInt(8, 14);
    assertThat(ImageProbe.whyMalformed(ihdr, ImageType.PNG)).isPresent();

    byte[] noIend = Arrays.copyOf(png, png.length - 12);
    assertThat(ImageProbe.whyMalformed(noIend, ImageType.PNG).orElseThrow())
        .contains("before IEND (truncated)");
  }

  @Test
  void shouldRejectACorruptJpeg() {
    byte[] jpeg = TestImages.resource("rocket.jpg");
    // The first segment after SOI: marker at 2, length at 4.
    int length = ((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF);
    for (int wrong : new int[] {length + 1, length - 1, 0xFFFF, 1}) {
      byte[] bad = jpeg.clone();
      bad[4] = (byte) (wrong >>> 8);
      bad[5] = (byte) wrong;
      assertThat(ImageProbe.whyMalformed(bad, ImageType.JPEG)).as("length %d", wrong).isPresent();
    }
    byte[] noEoi = jpeg.clone();
    noEoi[noEoi.length - 1] = 0; // FFD9 became FF00, a stuffed data byte
    assertThat(ImageProbe.whyMalformed(noEoi, ImageType.JPEG).orElseThrow())
        .contains("without EOI (truncated)");

    byte[] empty = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9};
    assertThat(ImageProbe.whyMalformed(empty, ImageType.JPEG).orElseThrow())
        .isEqualTo("ends (EOI) before any image data (no SOS segment)");
  }

  @Test
  void shouldRejectACorruptWebp() {
    byte[] webp = TestImages.resource("coffee.webp");
    byte[] riff = webp.clone();
    ByteBuffer.wrap(riff).order(ByteOrder.LITTLE_ENDIAN).putInt(4, webp.length - 8 + 2);
    assertThat(ImageProbe.whyMalformed(riff, ImageType.WEBP).orElseThrow())
        .isEqualTo(
            "RIFF header declares "
                + (webp.length + 2)
                + " bytes, the file has "
                + webp.length
                + " (truncated)");

    int chunkSize = ByteBuffer.wrap(webp).order(ByteOrder.LITTLE_ENDIAN).getInt(16);
    for (int wrong : new int[] {chunkSize + 2, chunkSize - 2, chunkSize - 100_000}) {
      byte[] bad = webp.clone();
      ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(16, wrong);
      assertThat(ImageProbe.whyMalformed(bad, ImageType.WEBP)).as("size %d", wrong).isPresent();
    }
    // Extended (VP8X) with alpha and lossless data: complete, even though no sample is one.
    byte[] vp8l = concat(ascii("VP8L"), le(6), new byte[] {0x2F, 0, 0, 0, 0, 0});
    byte[] alph = concat(ascii("ALPH"), le(3), new byte[] {0, 1, 2, 0});
    byte[] vp8x = concat(ascii("VP8X"), le(10), new byte[10]);
    byte[] extended = concat(vp8x, alph, vp8l);
    byte[] lossless = concat(ascii("RIFF"), le(4 + extended.length), ascii("WEBP"), extended);
    assertThat(ImageProbe.whyMalformed(lossless, ImageType.WEBP)).isEmpty();
    assertThat(
            ImageProbe.whyMalformed(Arrays.copyOf(lossless, lossless.length - 1), ImageType.WEBP))
        .isPresent();

    byte[] noImage = concat(ascii("RIFF"), le(4 + 18), ascii("WEBPVP8X"), le(10), new byte[10]);
    assertThat(ImageProbe.whyMalformed(noImage, ImageType.WEBP).orElseThrow())
        .isEqualTo("has no image data chunk (VP8, VP8L or ANMF)");
  }

  @Test
  void shouldRejectACorruptHeic() {
    byte[] heic = TestImages.resource("coffee.heic");
    int mdat = indexOf(heic, "mdat") - 4;
    int meta = indexOf(heic, "meta") - 4;

    byte[] longer = heic.clone();
    ByteBuffer.wrap(longer).putInt(mdat, ByteBuffer.wrap(heic).getInt(mdat) + 1);
    assertThat(ImageProbe.whyMalformed(longer, ImageType.HEIC).orElseThrow())
        .startsWith("box 'mdat' at byte " + mdat + " declares")
        .endsWith("(truncated)");

    for (int delta : new int[] {-4, 4, 1000}) {
      byte[] bad = heic.clone();
      ByteBuffer.wrap(bad).putInt(meta, ByteBuffer.wrap(heic).getInt(meta) + delta);
      assertThat(ImageProbe.whyMalformed(bad, ImageType.HEIC)).as("meta %+d", delta).isPresent();
    }

    // An mdat of size 0 runs to the end of the file, so only the item locations show the cut.
    byte[] toEnd = heic.clone();
    ByteBuffer.wrap(toEnd).putInt(mdat, 0);
    assertThat(ImageProbe.whyMalformed(toEnd, ImageType.HEIC)).isEmpty();
    assertThat(
            ImageProbe.whyMalformed(Arrays.copyOf(toEnd, toEnd.length - 1), ImageType.HEIC)
                .orElseThrow())
        .contains("beyond the end of the file at " + (heic.length - 1) + " (truncated)");

    byte[] noMeta = heifWithExtents(new int[] {64, 64});
    ByteBuffer.wrap(noMeta).put(indexOf(noMeta, "meta"), (byte) 'f');
    assertThat(ImageProbe.whyMalformed(noMeta, ImageType.HEIC).orElseThrow())
        .isEqualTo("has no meta box (no image items)");
  }

  private static byte[] jpeg(boolean progressive) throws IOException {
    BufferedImage image = new BufferedImage(200, 120, BufferedImage.TYPE_INT_RGB);
    for (int x = 0; x < 200; x++) {
      image.setRGB(x, x % 120, 0xFF8800 + x);
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    if (progressive) {
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] haystack, String ascii) {
    byte[] needle = ascii(ascii);
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new IllegalArgumentException(ascii + " not found");
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
