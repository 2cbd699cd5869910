package io.editstream.processor.cache;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.editstream.schema.OutputImage;
import io.editstream.schema.TokenUsage;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The value format of the result index topic: UTF-8 JSON, one object per content key. Version 1:
 *
 * <pre>{@code
 * {"formatVersion":1, "model":"gemini-3.1-flash-image-preview", "modelVersion":"…"|null,
 *  "text":"…"|null, "createdAtMs":1748779200000,
 *  "usage":{"promptTokens":300,"outputTokens":1130,"outputImageTokens":1120,"totalTokens":1430},
 *  "images":[{"uri":"file:/…","sha256":"…","mimeType":"image/png","width":1024,"height":1024,
 *             "sizeBytes":123456}]}
 * }</pre>
 *
 * References only: image bytes are never written (readers load them from {@code uri}). Unknown
 * fields are ignored, so later versions may add fields; a reader skips versions it does not know.
 */
final class ResultRecordFormat {

  static final int FORMAT_VERSION = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .setDefaultPropertyInclusion(JsonInclude.Include.ALWAYS);

  record Record(
      int formatVersion,
      String model,
      String modelVersion,
      String text,
      long createdAtMs,
      Usage usage,
      List<Image> images) {}

  record Usage(int promptTokens, int outputTokens, int outputImageTokens, int totalTokens) {}

  record Image(String uri, String sha256, String mimeType, int width, int height, long sizeBytes) {}

  private ResultRecordFormat() {}

  static byte[] encode(CachedResult r) {
    TokenUsage u = r.usage();
    Record record =
        new Record(
            FORMAT_VERSION,
            r.model(),
            r.modelVersion(),
            r.text(),
            r.createdAt().toEpochMilli(),
            new Usage(
                u.getPromptTokens(),
                u.getOutputTokens(),
                u.getOutputImageTokens(),
                u.getTotalTokens()),
            r.images().stream()
                .map(
                    i ->
                        new Image(
                            i.getUri(),
                            i.getSha256(),
                            i.getMimeType(),
                            i.getWidth(),
                            i.getHeight(),
                            i.getSizeBytes()))
                .toList());
    try {
      return JSON.writeValueAsBytes(record);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a result record", e);
    }
  }

  /**
   * Decodes a record value.
   *
   * @throws IllegalArgumentException naming the problem when the value is not a valid record of a
   *     known version
   */
  static CachedResult decode(byte[] value) {
    Record r;
    try {
      r = JSON.readValue(value, Record.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a result record: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a result record: " + e.getMessage(), e);
    }
    if (r.formatVersion() != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "formatVersion: "
              + r.formatVersion()
              + " is not supported (expected "
              + FORMAT_VERSION
              + ")");
    }
    if (r.usage() == null) {
      throw new IllegalArgumentException("usage: missing");
    }
    if (r.images() == null) {
      throw new IllegalArgumentException("images: missing");
    }
    List<OutputImage> images =
        r.images().stream()
            .map(
                i -> {
                  if (i == null || i.uri() == null || i.sha256() == null || i.mimeType() == null) {
                    throw new IllegalArgumentException(
                        "images[]: uri, sha256 and mimeType are required");
                  }
                  return new OutputImage(
                      i.uri(),
                      i.sha256(),
                      i.mimeType(),
                      i.width(),
                      i.height(),
                      i.sizeBytes(),
                      null,
                      null,
                      null);
                })
            .toList();
    Usage u = r.usage();
    try {
      return new CachedResult(
          images,
          r.text(),
          r.model(),
          r.modelVersion(),
          new TokenUsage(
              u.promptTokens(), u.outputTokens(), u.outputImageTokens(), u.totalTokens()),
          Instant.ofEpochMilli(r.createdAtMs()));
    } catch (NullPointerException e) {
      throw new IllegalArgumentException(e.getMessage() + ": missing", e);
    }
  }
}
