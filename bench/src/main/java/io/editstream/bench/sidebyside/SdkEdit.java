package io.editstream.bench.sidebyside;

import com.google.genai.Client;
import com.google.genai.errors.ApiException;
import com.google.genai.types.ClientOptions;
import com.google.genai.types.Content;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.google.genai.types.ImageConfig;
import com.google.genai.types.Part;
import io.editstream.schema.EditJob;
import io.editstream.schema.InputImage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a user calls the model without Editstream: the google-genai SDK's synchronous {@code
 * generateContent}, images inline and the instruction as text, SDK retries off (the caller
 * decides), a timeout set. Used by the naive Kafka Streams app and the Parallel Consumer app alike.
 */
final class SdkEdit {
  static final String MODEL = "gemini-3.1-flash-image-preview";

  /** The answer: HTTP-like status (200 on success, 0 for a timeout or I/O error). */
  record Answer(int status, String detail) {
    boolean ok() {
      return status == 200;
    }

    /** What a careful caller retries: quota, server errors, timeouts. */
    boolean retryable() {
      return status == 0 || status == 429 || status >= 500;
    }
  }

  private final Client client;

  SdkEdit(String apiKey, String baseUrl, Duration timeout, int connections) {
    this.client =
        Client.builder()
            .apiKey(apiKey)
            .httpOptions(
                HttpOptions.builder()
                    .baseUrl(baseUrl)
                    .apiVersion("v1beta")
                    .timeout(Math.toIntExact(timeout.toMillis()))
                    .retryOptions(
                        HttpRetryOptions.builder().attempts(1).httpStatusCodes(List.of()).build())
                    .build())
            .clientOptions(
                ClientOptions.builder()
                    .maxConnections(connections)
                    .maxConnectionsPerHost(connections)
                    .build())
            .build();
  }

  Answer edit(EditJob job) {
    List<Part> parts = new ArrayList<>();
    for (InputImage image : job.getImages()) {
      ByteBuffer data = image.getData().duplicate();
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      parts.add(Part.fromBytes(bytes, image.getMimeType()));
    }
    parts.add(Part.fromText(job.getInstruction()));
    GenerateContentConfig config =
        GenerateContentConfig.builder()
            .responseModalities("TEXT", "IMAGE")
            .imageConfig(ImageConfig.builder().imageSize("512").build())
            .build();
    try {
      GenerateContentResponse response =
          client.models.generateContent(
              MODEL, List.of(Content.builder().role("user").parts(parts).build()), config);
      boolean image =
          response.candidates().orElse(List.of()).stream()
              .flatMap(c -> c.content().flatMap(Content::parts).orElse(List.of()).stream())
              .anyMatch(p -> p.inlineData().isPresent());
      return image ? new Answer(200, "image") : new Answer(200, "no image");
    } catch (ApiException e) {
      return new Answer(e.code(), e.status());
    } catch (RuntimeException e) {
      return new Answer(0, e.getClass().getSimpleName());
    }
  }
}
