package io.editstream.emulator;

import com.google.genai.Client;
import com.google.genai.types.Content;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.google.genai.types.ImageConfig;
import com.google.genai.types.Part;
import java.util.List;

/** The official google-genai client, configured as DESIGN.md §9 prescribes. */
final class Sdk {

  static final String MODEL = "gemini-3.1-flash-image-preview";

  private Sdk() {}

  static Client client(Emulator emulator, String apiKey) {
    return Client.builder()
        .apiKey(apiKey)
        .httpOptions(
            HttpOptions.builder()
                .baseUrl(emulator.baseUrl())
                .apiVersion("v1beta")
                // attempts(1) alone still sleeps ~1 s after a retryable status (SDK 2.0.0
                // RetryInterceptor); no retryable codes means no sleep.
                .retryOptions(
                    HttpRetryOptions.builder().attempts(1).httpStatusCodes(List.of()).build())
                .timeout(20_000)
                .build())
        .build();
  }

  static GenerateContentConfig imageConfig(String size, String aspectRatio) {
    ImageConfig.Builder image = ImageConfig.builder();
    if (size != null) {
      image.imageSize(size);
    }
    if (aspectRatio != null) {
      image.aspectRatio(aspectRatio);
    }
    return GenerateContentConfig.builder()
        .responseModalities("TEXT", "IMAGE")
        .imageConfig(image.build())
        .build();
  }

  static Content edit(String instruction, byte[] png) {
    return Content.builder()
        .role("user")
        .parts(Part.fromText(instruction), Part.fromBytes(png, "image/png"))
        .build();
  }
}
