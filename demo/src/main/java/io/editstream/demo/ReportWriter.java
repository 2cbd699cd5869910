package io.editstream.demo;

import io.editstream.cli.listen.HtmlReport;
import io.editstream.cli.listen.ImageFiles;
import io.editstream.cli.listen.NextStep;
import io.editstream.cli.listen.OutputName;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's output folder with the command line's writers: {@code inputs/} (the sample
 * photos), {@code images/<sku>/<photo>-<jobId>.<ext>} ({@link ImageFiles}, named by {@link
 * OutputName}: bytes checked against their SHA-256) and {@code report.html} ({@link HtmlReport}: a
 * self-contained before/after page with cost, provider and next steps, relative links, so the
 * folder can be zipped or served as it is).
 */
final class ReportWriter {
  static final String INPUTS = "inputs";
  static final String IMAGES = "images";
  static final String REPORT = "report.html";

  private final Path dir;
  private final Map<String, List<String>> imagesByJob = new LinkedHashMap<>();
  // jobId -> the photo it edits, from writeInputs: the finished image is named after it
  private final Map<String, String> photoByJob = new HashMap<>();

  ReportWriter(Path dir) {
    this.dir = dir;
  }

  /** Removes what an earlier run wrote here (only our own files and folders). */
  void clean() throws IOException {
    for (String sub : List.of(INPUTS, IMAGES)) {
      Path p = dir.resolve(sub);
      if (Files.isDirectory(p)) {
        try (var files = Files.walk(p)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        }
      }
    }
    for (String file : List.of(REPORT, Demo.SUMMARY_JSON, Demo.METRICS)) {
      Files.deleteIfExists(dir.resolve(file));
    }
  }

  /**
   * Writes the finished images of every result and returns their paths relative to the folder. Each
   * image is read by {@code images}: inline from the event when small, else by its presigned URL or
   * its {@code s3://} or {@code file:} URI.
   */
  List<String> writeImages(Map<String, EditResult> results, FinishedImages images)
      throws IOException {
    ImageFiles files = new ImageFiles(dir.resolve(IMAGES), images.reader());
    List<String> written = new ArrayList<>();
    for (Map.Entry<String, EditResult> e : results.entrySet()) {
      String name = OutputName.of(e.getKey(), photoByJob.get(e.getKey()), null);
      List<String> paths =
          files.writeAs(images.fetch(e.getValue()), name).stream()
              .map(p -> dir.relativize(p).toString().replace('\\', '/'))
              .toList();
      imagesByJob.put(e.getKey(), paths);
      written.addAll(paths);
    }
    return written;
  }

  /** Copies the photos the jobs used into {@code inputs/}. */
  void writeInputs(List<SampleJob> jobs, Photos photos) throws IOException {
    Files.createDirectories(dir.resolve(INPUTS));
    jobs.forEach(j -> photoByJob.put(j.jobId(), j.image()));
    for (String image : jobs.stream().map(SampleJob::image).distinct().toList()) {
      Files.write(dir.resolve(INPUTS).resolve(image), photos.bytes(image));
    }
  }

  /** Writes {@code report.html} (after {@link #writeImages}) and returns its path. */
  Path writeReport(
      List<SampleJob> jobs,
      Map<String, EditResult> results,
      Map<String, EditFailure> failures,
      DemoSummary summary)
      throws IOException {
    HtmlReport report = new HtmlReport("Editstream demo");
    summary.rows().forEach((k, v) -> report.summaryLine(k + ": " + v));
    for (SampleJob job : jobs) {
      EditResult result = results.get(job.jobId());
      EditFailure failure = failures.get(job.jobId());
      String status;
      String outcome;
      String servedBy = null;
      Double cost = null;
      String nextStep = null;
      if (result != null) {
        status = result.getCacheHit() ? "cached" : "ok";
        servedBy =
            result.getCacheHit()
                ? "dedup cache (no model call)"
                : (result.getProvider() == null ? "model" : result.getProvider())
                    + " \u00b7 "
                    + result.getModel();
        cost = result.getCacheHit() ? Double.valueOf(0) : result.getEstimatedCostUsd();
        outcome =
            result.getCacheHit()
                ? "served by the dedup cache: no model call, no quota"
                : String.format(
                    Locale.ROOT,
                    "%d attempt(s), model %d ms, tokens %d in / %d out",
                    result.getAttempts(),
                    result.getTimings().getModelMs(),
                    result.getUsage().getPromptTokens(),
                    result.getUsage().getOutputTokens());
      } else if (failure != null) {
        status = failure.getCode().name();
        nextStep = NextStep.of(failure);
        outcome =
            failure.getMessage()
                + " (retryable: "
                + failure.getRetryable()
                + ", attempts: "
                + failure.getAttempts()
                + ")";
      } else {
        status = "no outcome";
        nextStep =
            "Run the demo again with a longer wait, or look for the job in "
                + DemoMain.LOG_FILE
                + ".";
        outcome = "no outcome arrived before the demo stopped waiting";
      }
      String steps =
          job.steps().isEmpty() ? "" : " | then: " + String.join(" | then: ", job.steps());
      report.add(
          new HtmlReport.Row(
              job.jobId(),
              job.sku(),
              status,
              result == null,
              job.instruction() + steps,
              servedBy,
              cost,
              null,
              nextStep,
              "[tenant "
                  + job.tenant()
                  + ", "
                  + job.size()
                  + " "
                  + job.format()
                  + ", "
                  + job.priority()
                  + "] Shows: "
                  + job.shows()
                  + ". Outcome: "
                  + outcome,
              List.of(INPUTS + "/" + job.image()),
              imagesByJob.getOrDefault(job.jobId(), List.of())));
    }
    Path file = dir.resolve(REPORT);
    report.write(file);
    return file;
  }
}
