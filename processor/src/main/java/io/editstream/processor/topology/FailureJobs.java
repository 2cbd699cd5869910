package io.editstream.processor.topology;

import com.google.common.hash.Hashing;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.InputImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The copy of a job a failure event carries. A failure event must fit where its job fitted: a job
 * near the input topic's record limit, plus the failure's own fields, would not. So a large job is
 * carried without its inline image bytes (their SHA-256 is kept, so the images stay identifiable)
 * and with over-long text cut; the event's attribute {@value #TRUNCATED} says so.
 */
final class FailureJobs {
  static final String TRUNCATED = "editstream.failure.job.truncated";

  /** Jobs up to this size (inline bytes plus text) are carried unchanged. */
  static final int MAX_CARRIED_BYTES = 512 * 1024;

  static final int MAX_TEXT_CHARS = 10_000;

  private FailureJobs() {}

  static boolean fits(EditJob job) {
    long size = job.getInstruction() == null ? 0 : job.getInstruction().length();
    for (EditStep step : job.getSteps()) {
      size += step.getInstruction() == null ? 0 : step.getInstruction().length();
    }
    for (InputImage image : job.getImages()) {
      size += image.getData() == null ? 0 : image.getData().remaining();
    }
    return size <= MAX_CARRIED_BYTES;
  }

  /** The job itself when it fits, else a trimmed copy. */
  static EditJob carried(EditJob job) {
    if (fits(job)) {
      return job;
    }
    EditJob copy = EditJob.newBuilder(job).build();
    List<InputImage> images = new ArrayList<>();
    for (InputImage image : job.getImages()) {
      InputImage.Builder b = InputImage.newBuilder(image);
      if (image.getData() != null) {
        b.setData(null);
        if (image.getSha256() == null) {
          b.setSha256(Hashing.sha256().hashBytes(image.getData().duplicate()).toString());
        }
      }
      images.add(b.build());
    }
    copy.setImages(images);
    copy.setInstruction(cut(job.getInstruction()));
    List<EditStep> steps = new ArrayList<>();
    for (EditStep step : job.getSteps()) {
      steps.add(new EditStep(cut(step.getInstruction())));
    }
    copy.setSteps(steps);
    return copy;
  }

  /** The job's attributes, marked when the carried copy is trimmed. */
  static java.util.Map<String, String> attributes(EditJob job) {
    if (fits(job)) {
      return job.getAttributes();
    }
    java.util.Map<String, String> out = new java.util.HashMap<>(job.getAttributes());
    out.put(TRUNCATED, "true");
    return out;
  }

  private static String cut(String text) {
    if (text == null || text.length() <= MAX_TEXT_CHARS) {
      return text;
    }
    return text.substring(0, MAX_TEXT_CHARS) + "… [" + text.length() + " characters in all]";
  }
}
