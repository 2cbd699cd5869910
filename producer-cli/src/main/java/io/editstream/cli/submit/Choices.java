package io.editstream.cli.submit;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.util.List;
import java.util.Locale;

/**
 * Parses the enumerated job settings from manifest cells and options, case-insensitively, with
 * messages that list the accepted values.
 */
public final class Choices {
  /** Aspect ratios the model accepts (the processor's list). */
  public static final List<String> ASPECT_RATIOS =
      List.of("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9");

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
    if (!ASPECT_RATIOS.contains(v)) {
      throw bad(value, String.join(", ", ASPECT_RATIOS));
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
