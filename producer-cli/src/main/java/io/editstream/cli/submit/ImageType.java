package io.editstream.cli.submit;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The input image types the model accepts, recognised by their first bytes (never the name). */
public enum ImageType {
  JPEG("image/jpeg"),
  PNG("image/png"),
  WEBP("image/webp"),
  HEIC("image/heic"),
  HEIF("image/heif");

  /** Bytes {@link #sniff} needs to tell every type apart. */
  public static final int SNIFF_BYTES = 32;

  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final Set<String> HEIC_BRANDS =
      Set.of("heic", "heix", "hevc", "hevx", "heim", "heis");
  private static final Set<String> HEIF_BRANDS = Set.of("mif1", "msf1", "heif");

  private final String mimeType;

  ImageType(String mimeType) {
    this.mimeType = mimeType;
  }

  public String mimeType() {
    return mimeType;
  }

  /** The type whose magic bytes {@code head} starts with; empty when none matches. */
  public static Optional<ImageType> sniff(byte[] head, int length) {
    if (length >= 3
        && (head[0] & 0xff) == 0xff
        && (head[1] & 0xff) == 0xd8
        && (head[2] & 0xff) == 0xff) {
      return Optional.of(JPEG);
    }
    if (startsWith(head, length, 0, PNG_MAGIC)) {
      return Optional.of(PNG);
    }
    if (length >= 12 && ascii(head, 0, 4).equals("RIFF") && ascii(head, 8, 4).equals("WEBP")) {
      return Optional.of(WEBP);
    }
    // ISO base media file: [size]["ftyp"][major brand][minor version][compatible brands...]
    if (length >= 12 && ascii(head, 4, 4).equals("ftyp")) {
      String major = ascii(head, 8, 4);
      if (HEIC_BRANDS.contains(major)) {
        return Optional.of(HEIC);
      }
      if (HEIF_BRANDS.contains(major)) {
        return Optional.of(HEIF);
      }
    }
    return Optional.empty();
  }

  /** The type a file name or URL path declares by its extension; empty when unknown. */
  public static Optional<ImageType> fromExtension(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    int q = lower.indexOf('?');
    if (q >= 0) {
      lower = lower.substring(0, q);
    }
    int dot = lower.lastIndexOf('.');
    if (dot < 0 || lower.indexOf('/', dot) >= 0) {
      return Optional.empty();
    }
    return switch (lower.substring(dot + 1)) {
      case "jpg", "jpeg", "jpe", "jfif" -> Optional.of(JPEG);
      case "png" -> Optional.of(PNG);
      case "webp" -> Optional.of(WEBP);
      case "heic", "heics" -> Optional.of(HEIC);
      case "heif", "heifs", "hif" -> Optional.of(HEIF);
      default -> Optional.empty();
    };
  }

  /** A short hex view of the first bytes, for an error message. */
  static String hexHead(byte[] head, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(length, 8); i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(String.format("%02x", head[i] & 0xff));
    }
    return length == 0 ? "(empty file)" : sb.toString();
  }

  private static boolean startsWith(byte[] head, int length, int offset, byte[] magic) {
    if (length < offset + magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (head[offset + i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  private static String ascii(byte[] head, int offset, int len) {
    return new String(head, offset, len, StandardCharsets.ISO_8859_1);
  }
}
