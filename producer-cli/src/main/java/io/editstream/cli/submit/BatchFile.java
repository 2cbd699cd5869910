package io.editstream.cli.submit;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code submit --batch-file} writes and {@code listen --batch-file} reads: the batch id, its
 * jobs and their input images, so listen knows when the batch is complete and can show "before"
 * images in its report. JSON, version 1.
 *
 * @param submittedAt ISO-8601 instant
 */
public record BatchFile(
    int version, String batchId, String jobsTopic, String submittedAt, List<Entry> jobs) {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public BatchFile {
    jobs = List.copyOf(jobs);
  }

  /**
   * One submitted job.
   *
   * @param where manifest line (and fan-out values) it came from
   * @param inputs its input images: absolute paths or URLs
   * @param instruction the edit and its steps, for the report; null in files of older versions
   */
  public record Entry(
      String jobId, String sku, String where, List<String> inputs, String instruction) {
    public Entry(String jobId, String sku, String where, List<String> inputs) {
      this(jobId, sku, where, inputs, null);
    }
  }

  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    JSON.writeValue(file.toFile(), this);
  }

  public static BatchFile read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), BatchFile.class);
  }

  static Entry entryOf(PlannedJob job) {
    return new Entry(
        job.jobId(),
        job.sku(),
        job.where(),
        job.images().stream()
            .map(
                i ->
                    i instanceof PlannedImage.LocalFile f
                        ? f.path().toAbsolutePath().toString()
                        : ((PlannedImage.Remote) i).uri())
            .toList(),
        job.steps().isEmpty()
            ? job.instruction()
            : job.instruction() + " | then: " + String.join(" | then: ", job.steps()));
  }
}
