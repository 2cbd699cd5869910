package io.editstream.schema;

import java.util.List;

/**
 * The values {@link OutputSettings#getAspectRatio()} may take: every aspect ratio the model (Gemini
 * 3.1 Flash Image) accepts in {@code imageConfig.aspectRatio}. The processor refuses a job with any
 * other value before calling the model, and the CLI refuses it before sending.
 */
public final class AspectRatios {

  /** Width:height, in the order the API documents them. Immutable. */
  public static final List<String> ALL =
      List.of(
          "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1",
          "1:8", "8:1");

  private AspectRatios() {}

  /** Whether {@code ratio} is one of {@link #ALL}, exactly (no blanks, no other spelling). */
  public static boolean isSupported(String ratio) {
    return ALL.contains(ratio);
  }
}
