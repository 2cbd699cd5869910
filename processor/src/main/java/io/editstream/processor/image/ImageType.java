package io.editstream.processor.image;

import java.util.Locale;
import java.util.Optional;

/** The input image encodings the model accepts, each with its MIME type. */
public enum ImageType {
  JPEG("image/jpeg", "jpg"),
  PNG("image/png", "png"),
  WEBP("image/webp", "webp"),
  HEIC("image/heic", "heic"),
  HEIF("image/heif", "heif");

  private final String mimeType;
  private final String extension;

  ImageType(String mimeType, String extension) {
    this.mimeType = mimeType;
    this.extension = extension;
  }

  /** The MIME type, e.g. {@code image/png}. */
  public String mimeType() {
    return mimeType;
  }

  /** The usual file name extension without a dot, e.g. {@code png}. */
  public String extension() {
    return extension;
  }

  /** The type for a MIME type (case-insensitive, surrounding spaces ignored), if we accept it. */
  public static Optional<ImageType> fromMimeType(String mimeType) {
    if (mimeType == null) {
      return Optional.empty();
    }
    String wanted = mimeType.strip().toLowerCase(Locale.ROOT);
    for (ImageType type : values()) {
      if (type.mimeType.equals(wanted)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
