package io.editstream.cli.submit;

import io.editstream.schema.AspectRatios;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.util.Locale;

/**
 * Parses the enumerated job settings from manifest cells and options, case-insensitively, with
 * messages that list the accepted values.
 */
public final class Choices {
  private Choices() {}

  public static ImageFormat format(String value) {
    return switch (norm(value)) {
      case "png" -> ImageFormat.PNG;
      case "jpeg", "jpg" -> ImageFormat.JPEG;
      case "webp" -> ImageFormat.WEBP;
      default -> throw bad(value, "png, jpeg, webp");
    };
  }

  public static ImageSize size(String value) {
    return switch (norm(value)) {
      case "512", "0.5k", "size_512" -> ImageSize.SIZE_512;
      case "1k", "1024", "size_1k" -> ImageSize.SIZE_1K;
      case "2k", "2048", "size_2k" -> ImageSize.SIZE_2K;
      case "4k", "4096", "size_4k" -> ImageSize.SIZE_4K;
      default -> throw bad(value, "512, 1K, 2K, 4K");
    };
  }

  public static Priority priority(String value) {
    return switch (norm(value)) {
      case "interactive" -> Priority.INTERACTIVE;
      case "bulk" -> Priority.BULK;
      default -> throw bad(value, "interactive, bulk");
    };
  }

  public static String aspectRatio(String value) {
    String v = value.strip();
    if (!AspectRatios.isSupported(v)) {
      throw bad(value, String.join(", ", AspectRatios.ALL));
    }
    return v;
  }

  public static boolean bool(String value) {
    return switch (norm(value)) {
      case "true", "yes", "y", "1" -> true;
      case "false", "no", "n", "0" -> false;
      default -> throw bad(value, "true, false");
    };
  }

  private static String norm(String value) {
    return value.strip().toLowerCase(Locale.ROOT);
  }

  private static IllegalArgumentException bad(String value, String accepted) {
    return new IllegalArgumentException(
        "\"" + value + "\" is not accepted; use one of " + accepted);
  }
}
