package io.editstream.cli.submit;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.util.List;
import java.util.Map;

/**
 * A job checked and ready to send: everything of the {@link io.editstream.schema.EditJob} but the
 * image bytes, the batch id and the submission time.
 *
 * @param where the manifest line (or argument) it came from
 * @param fanOut the fan-out values that made this job, by variable name (empty without fan-out)
 * @param attributes the job's own attributes (manifest and options) and the fan-out values
 */
public record PlannedJob(
    String where,
    String jobId,
    String tenant,
    String sku,
    List<PlannedImage> images,
    String instruction,
    List<String> steps,
    ImageFormat format,
    String aspectRatio,
    ImageSize size,
    String model,
    Priority priority,
    boolean bypassCache,
    Map<String, String> fanOut,
    Map<String, String> attributes) {

  public PlannedJob {
    images = List.copyOf(images);
    steps = List.copyOf(steps);
    fanOut = Map.copyOf(fanOut);
    attributes = Map.copyOf(attributes);
  }

  /** Bytes of the images that go inline in the record. */
  public long inlineBytes() {
    return images.stream()
        .mapToLong(i -> i instanceof PlannedImage.LocalFile f && f.inline() ? f.sizeBytes() : 0)
        .sum();
  }
}
