package io.editstream.processor.image;

import io.editstream.schema.ImageFormat;
import java.util.Objects;

/**
 * A finished image ready to publish: its bytes, their actual type and dimensions, and the format
 * the job asked for. {@link #formatSubstituted()} is true when the bytes are not in the requested
 * format (WebP was asked for but libwebp could not load on this host, so PNG is published; see
 * {@link ImageEncoder}); tell the user. The array is not copied; callers must not modify it.
 */
public record EncodedImage(
    byte[] bytes, ImageType type, int width, int height, ImageFormat requestedFormat) {

  public EncodedImage {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(requestedFormat, "requestedFormat");
  }

  public String mimeType() {
    return type.mimeType();
  }

  /** True when {@link #type()} differs from the requested format. */
  public boolean formatSubstituted() {
    return !type.name().equals(requestedFormat.name());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncodedImage other
        && type == other.type
        && width == other.width
        && height == other.height
        && requestedFormat == other.requestedFormat
        && java.util.Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, width, height, requestedFormat, java.util.Arrays.hashCode(bytes));
  }

  @Override
  public String toString() {
    return "EncodedImage["
        + type
        + " "
        + width
        + "x"
        + height
        + ", "
        + bytes.length
        + " bytes, requested "
        + requestedFormat
        + "]";
  }
}
