package io.editstream.cli.submit;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.InputImage;
import io.editstream.schema.Lanes;
import io.editstream.schema.OutputSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds the {@link EditJob} records of planned jobs. */
public final class JobRecords {
  /** Attribute holding the batch id; listen and replay filter on it. */
  public static final String BATCH = "editstream.batch";

  /**
   * Attribute holding the first input's file name (the last path segment of a URL), so outcomes can
   * be saved under a name a person recognises.
   */
  public static final String SOURCE = "editstream.source";

  /** Attribute holding the fan-out values that made the job, by variable name, joined by '-'. */
  public static final String VARIANT = "editstream.variant";

  private JobRecords() {}

  /**
   * The record for {@code job}: inline images read now (and checked against the digest taken when
   * the job was planned), the others referenced.
   *
   * @param claimCheck where by-reference images were copied, or null when there are none
   * @throws IOException when a file cannot be read or changed since it was checked
   */
  public static EditJob toRecord(
      PlannedJob job, String batchId, Instant submittedAt, ClaimCheck claimCheck)
      throws IOException {
    return toRecord(job, batchId, null, submittedAt, claimCheck);
  }

  /**
   * Like {@link #toRecord(PlannedJob, String, Instant, ClaimCheck)}, the job asking for {@code
   * lane} ({@link Lanes#ATTRIBUTE}: {@code batch} or {@code online}); null asks for none (the
   * processor's {@code batch.lane} decides).
   */
  public static EditJob toRecord(
      PlannedJob job, String batchId, String lane, Instant submittedAt, ClaimCheck claimCheck)
      throws IOException {
    List<InputImage> images = new ArrayList<>();
    for (PlannedImage image : job.images()) {
      InputImage.Builder b = InputImage.newBuilder().setMimeType(image.type().mimeType());
      if (image instanceof PlannedImage.LocalFile file) {
        b.setSha256(file.sha256());
        if (file.inline()) {
          byte[] bytes = Files.readAllBytes(file.path());
          if (!sha256(bytes).equals(file.sha256())) {
            throw new IOException(file.path() + " changed since it was checked; run again");
          }
          b.setData(ByteBuffer.wrap(bytes));
        } else {
          b.setUri(claimCheck.uriOf(file).toString());
        }
      } else {
        b.setUri(((PlannedImage.Remote) image).uri());
      }
      images.add(b.build());
    }
    Map<String, String> attributes = new LinkedHashMap<>(job.attributes());
    attributes.put(BATCH, batchId);
    if (lane != null) {
      attributes.put(Lanes.ATTRIBUTE, lane);
    }
    if (!job.images().isEmpty()) {
      attributes.put(SOURCE, sourceName(job.images().get(0)));
    }
    if (!job.fanOut().isEmpty()) {
      // Sorted by variable name: the same job gets the same name on every run.
      attributes.put(VARIANT, String.join("-", new TreeMap<>(job.fanOut()).values()));
    }
    return EditJob.newBuilder()
        .setJobId(job.jobId())
        .setTenant(job.tenant())
        .setSku(job.sku())
        .setImages(images)
        .setInstruction(job.instruction())
        .setSteps(
            job.steps().stream().map(s -> EditStep.newBuilder().setInstruction(s).build()).toList())
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(job.format())
                .setAspectRatio(job.aspectRatio())
                .setSize(job.size())
                .build())
        .setModel(job.model())
        .setPriority(job.priority())
        .setBypassCache(job.bypassCache())
        .setSubmittedAt(submittedAt)
        .setAttributes(attributes)
        .build();
  }

  static String sourceName(PlannedImage image) {
    if (image instanceof PlannedImage.LocalFile f) {
      return f.path().getFileName().toString();
    }
    String uri = ((PlannedImage.Remote) image).uri().replaceAll("[?#].*", "");
    return uri.substring(uri.lastIndexOf('/') + 1);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
