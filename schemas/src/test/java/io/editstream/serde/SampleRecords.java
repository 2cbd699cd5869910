package io.editstream.serde;

import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.EditStep;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Records with every field set to a non-default value, so a lost field fails a test. */
final class SampleRecords {

  static final Instant SUBMITTED = Instant.parse("2026-03-01T10:15:30.123Z");

  private SampleRecords() {}

  static EditJob job(String jobId) {
    return EditJob.newBuilder()
        .setJobId(jobId)
        .setTenant("acme")
        .setSku("SKU-42")
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setData(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, -1, 7}))
                    .setSha256("ab".repeat(32))
                    .build(),
                InputImage.newBuilder()
                    .setMimeType("image/jpeg")
                    .setUri("file:///images/shoe.jpg")
                    .build()))
        .setInstruction("remove the background")
        .setSteps(
            List.of(
                EditStep.newBuilder().setInstruction("add a drop shadow").build(),
                EditStep.newBuilder().setInstruction("make it warmer").build()))
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.WEBP)
                .setAspectRatio("4:5")
                .setSize(ImageSize.SIZE_2K)
                .build())
        .setModel("gemini-3.1-flash-image-preview")
        .setPriority(Priority.INTERACTIVE)
        .setBypassCache(true)
        .setSubmittedAt(SUBMITTED)
        .setAttributes(Map.of("editstream.batch", "b-7", "channel", "web"))
        .build();
  }

  static EditResult result(String jobId) {
    return EditResult.newBuilder()
        .setJobId(jobId)
        .setTenant("acme")
        .setSku("SKU-42")
        .setImages(
            List.of(
                OutputImage.newBuilder()
                    .setUri("file:///out/" + jobId + ".webp")
                    .setSha256("cd".repeat(32))
                    .setMimeType("image/webp")
                    .setWidth(1638)
                    .setHeight(2048)
                    .setSizeBytes(123_456L)
                    .setData(ByteBuffer.wrap(new byte[] {'R', 'I', 'F', 'F', 1, 2, 3}))
                    .build()))
        .setText("Here is your image.")
        .setModel("gemini-3.1-flash-image-preview")
        .setModelVersion("2026-02")
        .setCacheHit(true)
        .setContentKey("ef".repeat(32))
        .setUsage(
            TokenUsage.newBuilder()
                .setPromptTokens(300)
                .setOutputTokens(1290)
                .setOutputImageTokens(1290)
                .setTotalTokens(1590)
                .build())
        .setTimings(Timings.newBuilder().setQueuedMs(12).setModelMs(4200).setTotalMs(4300).build())
        .setAttempts(2)
        .setCompletedAt(SUBMITTED.plusSeconds(5))
        .setProvider("gemini-api")
        .setEstimatedCostUsd(0.039)
        .setAttributes(Map.of("editstream.batch", "b-7"))
        .build();
  }

  static EditFailure failure(String jobId) {
    return EditFailure.newBuilder()
        .setJobId(jobId)
        .setTenant("acme")
        .setSku("SKU-42")
        .setCode(FailureCode.IMAGE_SAFETY)
        .setRetryable(false)
        .setAttempts(3)
        .setFirstErrorAt(SUBMITTED.plusSeconds(1))
        .setLastErrorAt(SUBMITTED.plusSeconds(9))
        .setHttpStatus(400)
        .setFinishReason("IMAGE_SAFETY")
        .setMessage("The model refused the edit for safety reasons")
        .setJob(job(jobId))
        .setAttributes(Map.of("editstream.replay", "true"))
        .build();
  }
}
