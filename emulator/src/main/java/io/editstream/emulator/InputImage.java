package io.editstream.emulator;

import java.awt.Dimension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * One inline image of a request: its bytes, the format sniffed from its magic bytes, and its
 * dimensions (read from the header, never by decoding pixels).
 */
record InputImage(
    String field, String mimeType, Format format, byte[] bytes, int width, int height) {

  /** Formats the Gemini API takes as image input. */
  enum Format {
    PNG,
    JPEG,
    WEBP,
    HEIC
  }

  /** Larger inputs are refused before decoding (decompression bombs). */
  static final long MAX_PIXELS = 100_000_000L;

  /** Dimensions assumed for a HEIF whose boxes do not give its size. */
  static final int UNKNOWN_EDGE = 1024;

  static Optional<Format> sniff(byte[] b) {
    if (b.length >= 8
        && (b[0] & 0xff) == 0x89
        && b[1] == 'P'
        && b[2] == 'N'
        && b[3] == 'G'
        && b[4] == 0x0d
        && b[5] == 0x0a) {
      return Optional.of(Format.PNG);
    }
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return Optional.of(Format.JPEG);
    }
    if (b.length >= 12 && ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP")) {
      return Optional.of(Format.WEBP);
    }
    if (b.length >= 12 && ascii(b, 4, "ftyp")) {
      String brand = new String(b, 8, 4, java.nio.charset.StandardCharsets.US_ASCII);
      if (java.util.Set.of("heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "heif")
          .contains(brand)) {
        return Optional.of(Format.HEIC);
      }
    }
    return Optional.empty();
  }

  /** Width and height from the header, or empty if the bytes are not a readable image. */
  static Optional<Dimension> dimensions(Format format, byte[] b) {
    return switch (format) {
      case PNG, JPEG -> imageIoDimensions(b);
      case WEBP -> webpDimensions(b);
      case HEIC ->
          Optional.of(HeifHeader.dimensions(b).orElse(new Dimension(UNKNOWN_EDGE, UNKNOWN_EDGE)));
    };
  }

  private static Optional<Dimension> imageIoDimensions(byte[] b) {
    // In-memory stream: ImageIO's default cache would write a temp file per request.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(b))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return Optional.empty();
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return Optional.of(new Dimension(reader.getWidth(0), reader.getHeight(0)));
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  // https://developers.google.com/speed/webp/docs/riff_container
  private static Optional<Dimension> webpDimensions(byte[] b) {
    if (b.length >= 30 && ascii(b, 12, "VP8X")) {
      int w = 1 + u24(b, 24);
      int h = 1 + u24(b, 27);
      return Optional.of(new Dimension(w, h));
    }
    if (b.length >= 30 && ascii(b, 12, "VP8 ")) {
      int w = (u16(b, 26)) & 0x3fff;
      int h = (u16(b, 28)) & 0x3fff;
      return Optional.of(new Dimension(w, h));
    }
    if (b.length >= 25 && ascii(b, 12, "VP8L")) {
      int bits = (b[21] & 0xff) | (b[22] & 0xff) << 8 | (b[23] & 0xff) << 16 | (b[24] & 0xff) << 24;
      int w = 1 + (bits & 0x3fff);
      int h = 1 + ((bits >> 14) & 0x3fff);
      return Optional.of(new Dimension(w, h));
    }
    return Optional.empty();
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
  }

  private static int u24(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16;
  }

  private static boolean ascii(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[at + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Input tokens of this image, estimated the way Gemini counts: 258 for an image at most 384 px on
   * both sides, otherwise 258 per 768 px tile.
   */
  int tokens() {
    if (width <= 384 && height <= 384) {
      return 258;
    }
    int tiles = ((width + 767) / 768) * ((height + 767) / 768);
    return 258 * tiles;
  }
}
