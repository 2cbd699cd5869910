package io.editstream.processor.cache;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.OutputSettings;
import java.util.List;
import java.util.Objects;

/**
 * Everything that decides whether two edit requests are the same edit: the fields hashed into a
 * {@link ContentKey}. Values are kept as given; {@link ContentKey#of} canonicalizes them (Unicode
 * NFC, trimming, lowercase digests), so two inputs that differ only in those respects share a key.
 *
 * @param model the model id the job resolves to (the job's model, else the processor's default)
 * @param instruction the job's instruction
 * @param steps the follow-up turns' instructions, in order
 * @param imageDigests lowercase hex SHA-256 of each input image's bytes, in the job's order
 * @param format output encoding
 * @param aspectRatio output aspect ratio, or null to keep the input's ("auto")
 * @param size output size
 * @param tenant the tenant when tenant isolation is on; null when results are shared across tenants
 */
public record ContentKeyInput(
    String model,
    String instruction,
    List<String> steps,
    List<String> imageDigests,
    ImageFormat format,
    String aspectRatio,
    ImageSize size,
    String tenant) {

  public ContentKeyInput {
    requireField(model, "model");
    requireField(instruction, "instruction");
    requireField(steps, "steps");
    requireField(imageDigests, "imageDigests");
    requireField(format, "output.format");
    requireField(size, "output.size");
    for (int i = 0; i < steps.size(); i++) {
      requireField(steps.get(i), "steps[" + i + "]");
    }
    for (int i = 0; i < imageDigests.size(); i++) {
      requireField(imageDigests.get(i), "imageDigests[" + i + "]");
    }
    steps = List.copyOf(steps);
    imageDigests = List.copyOf(imageDigests);
  }

  /**
   * The key input of a job.
   *
   * @param job the job
   * @param imageDigests hex SHA-256 of each of the job's images' bytes, in the job's order,
   *     computed after loading them (so an inline image and a URI to the same bytes give the same
   *     key)
   * @param model the model id the job runs on ({@link
   *     io.editstream.processor.model.ModelIds#forJob}: its own model or alias, else the default)
   * @param tenantIsolation true to include the tenant (one tenant never hits another's results)
   * @throws IllegalArgumentException naming the field when the job lacks a required field or the
   *     number of digests does not match the number of images
   */
  public static ContentKeyInput from(
      EditJob job, List<String> imageDigests, String model, boolean tenantIsolation) {
    Objects.requireNonNull(job, "job");
    requireField(imageDigests, "imageDigests");
    requireField(job.getImages(), "images");
    if (imageDigests.size() != job.getImages().size()) {
      throw new IllegalArgumentException(
          "imageDigests: "
              + imageDigests.size()
              + " digests given for "
              + job.getImages().size()
              + " images");
    }
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model: no model id given for the job");
    }
    OutputSettings output = job.getOutput();
    requireField(output, "output");
    List<EditStep> steps = job.getSteps() == null ? List.of() : job.getSteps();
    String tenant = null;
    if (tenantIsolation) {
      requireField(job.getTenant(), "tenant");
      tenant = job.getTenant();
    }
    return new ContentKeyInput(
        model,
        job.getInstruction(),
        steps.stream().map(EditStep::getInstruction).toList(),
        imageDigests,
        output.getFormat(),
        output.getAspectRatio(),
        output.getSize(),
        tenant);
  }

  private static void requireField(Object value, String field) {
    if (value == null) {
      throw new IllegalArgumentException(field + ": missing");
    }
  }
}
