package io.editstream.emulator;

import java.util.List;

/**
 * A validated generateContent request, reduced to what the emulator acts on.
 *
 * @param model model id from the path
 * @param images every inline image in the conversation, in order
 * @param instruction text of the latest user turn, trigger markers removed
 * @param textChars characters of all text parts (for token estimates)
 * @param userTurns number of user turns in the conversation
 * @param outputSize requested image size
 * @param aspectRatio requested aspect ratio as width/height, or 0 to keep the input's
 * @param wantsImage false when responseModalities leaves out IMAGE
 * @param directives per-request triggers
 */
record GenerateRequest(
    String model,
    List<InputImage> images,
    String instruction,
    long textChars,
    int userTurns,
    OutputSize outputSize,
    double aspectRatio,
    boolean wantsImage,
    Directives directives) {

  GenerateRequest {
    images = List.copyOf(images);
  }

  /** The image to edit: the last inline image of the conversation (user or model turn). */
  InputImage latestImage() {
    return images.isEmpty() ? null : images.get(images.size() - 1);
  }

  int imageTokens() {
    return images.stream().mapToInt(InputImage::tokens).sum();
  }

  int textTokens() {
    return (int) Math.max(textChars > 0 ? 1 : 0, (textChars + 3) / 4);
  }

  int promptTokens() {
    return textTokens() + imageTokens();
  }

  /** {@code imageConfig.imageSize} values, with long edge and output tokens. */
  enum OutputSize {
    S512("512", 512, 747, 1.0),
    S1K("1K", 1024, 1120, 1.25),
    S2K("2K", 2048, 1680, 1.6),
    S4K("4K", 4096, 2520, 2.4);

    final String apiName;
    final int longEdge;
    final int tokens;
    final double latencyFactor;

    OutputSize(String apiName, int longEdge, int tokens, double latencyFactor) {
      this.apiName = apiName;
      this.longEdge = longEdge;
      this.tokens = tokens;
      this.latencyFactor = latencyFactor;
    }

    static OutputSize parse(String value) {
      for (OutputSize s : values()) {
        if (s.apiName.equals(value)) {
          return s;
        }
      }
      return null;
    }
  }
}
