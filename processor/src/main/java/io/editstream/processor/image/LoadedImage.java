package io.editstream.processor.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An input image ready for the model: its bytes, the type sniffed from them (not the declared one),
 * their lowercase hex SHA-256, and the dimensions read from the header. The array is not copied;
 * callers must not modify it.
 */
public record LoadedImage(byte[] bytes, ImageType type, String sha256, int width, int height) {

  public LoadedImage {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(sha256, "sha256");
  }

  public String mimeType() {
    return type.mimeType();
  }

  public int sizeBytes() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LoadedImage other
        && type == other.type
        && sha256.equals(other.sha256)
        && width == other.width
        && height == other.height
        && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, sha256, width, height);
  }

  @Override
  public String toString() {
    return "LoadedImage["
        + type
        + " "
        + width
        + "x"
        + height
        + ", "
        + bytes.length
        + " bytes, sha256="
        + sha256
        + "]";
  }
}
