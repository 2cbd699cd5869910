package io.editstream.demo;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.util.List;
import java.util.Objects;

/**
 * One job of the demo's sample set: which bundled photo, which edit, and what the job is there to
 * show (printed in the report).
 *
 * @param jobId idempotency key, unique within the set
 * @param tenant owner of the job (the unit of fairness and cache isolation)
 * @param sku product id copied to the outcome
 * @param image file name of a bundled sample photo (see {@link SampleSet#IMAGES})
 * @param instruction the edit, in natural language; may carry an emulator fault marker
 * @param steps follow-up turns (multi-turn edit), empty for a single edit
 * @param size long edge of the output
 * @param format encoding of the output
 * @param priority scheduling class
 * @param shows one line on what this job demonstrates
 * @param emulatorOnly true for jobs that rely on an emulator fault marker; skipped with Google
 */
public record SampleJob(
    String jobId,
    String tenant,
    String sku,
    String image,
    String instruction,
    List<String> steps,
    ImageSize size,
    ImageFormat format,
    Priority priority,
    String shows,
    boolean emulatorOnly) {

  public SampleJob {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(instruction, "instruction");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(priority, "priority");
    steps = List.copyOf(steps);
  }
}
