package io.editstream.processor.image;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Tells an image's type from its first bytes (magic numbers), never from a declared MIME type.
 *
 * <p>HEIC and HEIF are ISO BMFF files: the {@code ftyp} box's major and compatible brands decide.
 * Any HEVC brand ({@code heic heix heim heis hevc hevx hevm hevs}) means HEIC; otherwise a generic
 * image brand ({@code mif1 msf1 mif2}) means HEIF, unless an AVIF brand ({@code avif avis}) is
 * present: AVIF shares {@code mif1} but is not a type the model accepts.
 */
public final class ImageSniffer {

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  private static final Set<String> HEIC_BRANDS =
      Set.of("heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs");
  private static final Set<String> HEIF_BRANDS = Set.of("mif1", "msf1", "mif2");
  private static final Set<String> AVIF_BRANDS = Set.of("avif", "avis");

  private ImageSniffer() {}

  /** The type the bytes start like; empty for anything that is not JPEG/PNG/WebP/HEIC/HEIF. */
  public static Optional<ImageType> sniff(byte[] bytes) {
    if (bytes == null) {
      return Optional.empty();
    }
    if (startsWith(bytes, 0, PNG_SIGNATURE)) {
      return Optional.of(ImageType.PNG);
    }
    if (bytes.length >= 3
        && (bytes[0] & 0xFF) == 0xFF
        && (bytes[1] & 0xFF) == 0xD8
        && (bytes[2] & 0xFF) == 0xFF) {
      return Optional.of(ImageType.JPEG);
    }
    if (bytes.length >= 12
        && ascii(bytes, 0, 4).equals("RIFF")
        && ascii(bytes, 8, 4).equals("WEBP")) {
      return Optional.of(ImageType.WEBP);
    }
    if (bytes.length >= 12 && ascii(bytes, 4, 4).equals("ftyp")) {
      return sniffIsoBmff(bytes);
    }
    return Optional.empty();
  }

  private static Optional<ImageType> sniffIsoBmff(byte[] bytes) {
    long boxSize = readUint32(bytes, 0);
    // size 0 means "to the end of the file"; 1 means a 64-bit size follows (never for ftyp).
    int end = boxSize < 16 || boxSize > bytes.length ? bytes.length : (int) boxSize;
    List<String> brands = new ArrayList<>();
    brands.add(ascii(bytes, 8, 4));
    for (int i = 16; i + 4 <= end; i += 4) {
      brands.add(ascii(bytes, i, 4));
    }
    if (brands.stream().anyMatch(HEIC_BRANDS::contains)) {
      return Optional.of(ImageType.HEIC);
    }
    if (brands.stream().anyMatch(AVIF_BRANDS::contains)) {
      return Optional.empty();
    }
    if (brands.stream().anyMatch(HEIF_BRANDS::contains)) {
      return Optional.of(ImageType.HEIF);
    }
    return Optional.empty();
  }

  private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
    if (bytes.length < offset + prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (bytes[offset + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static String ascii(byte[] bytes, int offset, int length) {
    return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
  }

  static long readUint32(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xFFL) << 24)
        | ((bytes[offset + 1] & 0xFFL) << 16)
        | ((bytes[offset + 2] & 0xFFL) << 8)
        | (bytes[offset + 3] & 0xFFL);
  }
}
