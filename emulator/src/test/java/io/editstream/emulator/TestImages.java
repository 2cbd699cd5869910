package io.editstream.emulator;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Small images for requests, and decoding of answers. */
final class TestImages {

  private TestImages() {}

  static byte[] png(int width, int height) {
    return encode(picture(width, height, BufferedImage.TYPE_INT_ARGB), "png");
  }

  static byte[] jpeg(int width, int height) {
    return encode(picture(width, height, BufferedImage.TYPE_INT_RGB), "jpg");
  }

  /** A minimal lossless WebP header (VP8L) of the given size; the pixel data is not valid. */
  static byte[] webpHeader(int width, int height) {
    byte[] b = new byte[40];
    put(b, 0, "RIFF");
    put(b, 8, "WEBP");
    put(b, 12, "VP8L");
    b[20] = 0x2f;
    int bits = (width - 1) | (height - 1) << 14;
    b[21] = (byte) bits;
    b[22] = (byte) (bits >> 8);
    b[23] = (byte) (bits >> 16);
    b[24] = (byte) (bits >> 24);
    return b;
  }

  /** A PNG signature and IHDR chunk claiming the given size, with no pixel data. */
  static byte[] pngHeader(int width, int height) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 25);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
    byte[] ihdr =
        java.nio.ByteBuffer.allocate(17)
            .put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .putInt(width)
            .putInt(height)
            .put(new byte[] {8, 2, 0, 0, 0})
            .array();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(ihdr);
    b.putInt(13).put(ihdr).putInt((int) crc.getValue());
    return b.array();
  }

  static byte[] heicHeader() {
    byte[] b = new byte[32];
    b[3] = 24;
    put(b, 4, "ftypheic");
    return b;
  }

  /** A file of {@code src/test/resources/images} (real photos; see the README there). */
  static byte[] resource(String name) {
    try (var in = TestImages.class.getResourceAsStream("/images/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test image " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static BufferedImage decode(byte[] bytes) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
      if (image == null) {
        throw new IllegalArgumentException("not an image");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static BufferedImage picture(int width, int height, int type) {
    BufferedImage image = new BufferedImage(width, height, type);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(30, 120, 200));
    g.fillRect(0, 0, width, height);
    g.setColor(Color.ORANGE);
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void put(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      b[at + i] = (byte) s.charAt(i);
    }
  }
}
