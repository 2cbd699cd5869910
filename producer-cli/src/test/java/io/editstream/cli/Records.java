package io.editstream.cli;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.editstream.schema.Timings;
import io.editstream.schema.TokenUsage;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Outcome records as the processor publishes them, for tests. */
public final class Records {
  public static final Instant AT = Instant.parse("2026-03-01T10:00:00Z");

  private Records() {}

  public static EditJob job(String id, String sku, Map<String, String> attributes) {
    return EditJob.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setSku(sku)
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/jpeg")
                    .setData(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}))
                    .build()))
        .setInstruction("remove the background")
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_512)
                .build())
        .setPriority(Priority.BULK)
        .setSubmittedAt(AT)
        .setAttributes(attributes)
        .build();
  }

  public static EditResult result(
      String id,
      String sku,
      Map<String, String> attributes,
      byte[] png,
      String uri,
      boolean inline) {
    return EditResult.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setSku(sku)
        .setImages(
            List.of(
                OutputImage.newBuilder()
                    .setUri(uri)
                    .setSha256(sha256(png))
                    .setMimeType("image/png")
                    .setWidth(512)
                    .setHeight(512)
                    .setSizeBytes(png.length)
                    .setData(inline ? ByteBuffer.wrap(png) : null)
                    .build()))
        .setModel("gemini-3.1-flash-image-preview")
        .setCacheHit(false)
        .setUsage(
            TokenUsage.newBuilder()
                .setPromptTokens(300)
                .setOutputTokens(747)
                .setOutputImageTokens(747)
                .setTotalTokens(1047)
                .build())
        .setTimings(Timings.newBuilder().build())
        .setCompletedAt(AT)
        .setAttributes(attributes)
        .build();
  }

  public static EditFailure failure(
      String id,
      String sku,
      FailureCode code,
      boolean retryable,
      int attempts,
      Map<String, String> attributes) {
    return EditFailure.newBuilder()
        .setJobId(id)
        .setTenant("acme")
        .setSku(sku)
        .setCode(code)
        .setRetryable(retryable)
        .setAttempts(attempts)
        .setFirstErrorAt(AT)
        .setLastErrorAt(AT)
        .setHttpStatus(retryable ? 503 : null)
        .setMessage("model said no (" + code + ")")
        .setJob(job(id, sku, attributes))
        .setAttributes(attributes)
        .build();
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
