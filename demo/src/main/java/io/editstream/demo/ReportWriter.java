package io.editstream.demo;

import com.google.common.escape.Escaper;
import com.google.common.html.HtmlEscapers;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's output folder: {@code inputs/} (the sample photos), {@code images/} (finished
 * images, named by job id) and {@code report.html}, a self-contained before/after page with
 * relative links, so the folder can be zipped or served as it is.
 */
final class ReportWriter {
  static final String INPUTS = "inputs";
  static final String IMAGES = "images";
  static final String REPORT = "report.html";

  private static final Escaper HTML = HtmlEscapers.htmlEscaper();

  private final Path dir;

  ReportWriter(Path dir) {
    this.dir = dir;
  }

  /** Removes what an earlier run wrote here (only our own files and folders). */
  void clean() throws IOException {
    for (String sub : List.of(INPUTS, IMAGES)) {
      Path p = dir.resolve(sub);
      if (Files.isDirectory(p)) {
        try (var files = Files.list(p)) {
          for (Path f : files.toList()) {
            Files.delete(f);
          }
        }
      }
    }
    Files.deleteIfExists(dir.resolve(REPORT));
    Files.deleteIfExists(dir.resolve(Demo.SUMMARY_JSON));
    Files.deleteIfExists(dir.resolve(Demo.METRICS));
  }

  /**
   * Writes the finished images of every result and returns their paths relative to the folder. Each
   * image comes inline from the event when small, else from its {@code file:} URI in the blob
   * store.
   */
  List<String> writeImages(Map<String, EditResult> results) throws IOException {
    Files.createDirectories(dir.resolve(IMAGES));
    List<String> written = new ArrayList<>();
    for (EditResult result : results.values()) {
      List<OutputImage> images = result.getImages();
      for (int i = 0; i < images.size(); i++) {
        String name = imageName(result.getJobId(), i, images.get(i).getMimeType());
        Files.write(dir.resolve(IMAGES).resolve(name), bytes(images.get(i)));
        written.add(IMAGES + "/" + name);
      }
    }
    return written;
  }

  static String imageName(String jobId, int index, String mimeType) {
    String ext =
        switch (mimeType) {
          case "image/jpeg" -> ".jpg";
          case "image/webp" -> ".webp";
          default -> ".png";
        };
    return jobId.replaceAll("[^A-Za-z0-9._-]", "_") + (index == 0 ? "" : "-" + index) + ext;
  }

  private static byte[] bytes(OutputImage image) throws IOException {
    ByteBuffer data = image.getData();
    if (data != null) {
      ByteBuffer copy = data.duplicate();
      byte[] b = new byte[copy.remaining()];
      copy.get(b);
      return b;
    }
    URI uri = URI.create(image.getUri());
    if (!"file".equals(uri.getScheme())) {
      throw new IOException(
          "cannot read finished image " + uri + ": only file: URIs are supported");
    }
    return Files.readAllBytes(Path.of(uri));
  }

  /** Copies the sample photos the jobs used into {@code inputs/}. */
  void writeInputs(List<SampleJob> jobs) throws IOException {
    Files.createDirectories(dir.resolve(INPUTS));
    for (String image : jobs.stream().map(SampleJob::image).distinct().toList()) {
      Files.write(dir.resolve(INPUTS).resolve(image), SampleSet.image(image));
    }
  }

  /** Writes {@code report.html} and returns its path. */
  Path writeReport(
      List<SampleJob> jobs,
      Map<String, EditResult> results,
      Map<String, EditFailure> failures,
      DemoSummary summary)
      throws IOException {
    StringBuilder b = new StringBuilder();
    b.append(
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>Editstream demo report</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
          table.jobs { border-collapse: collapse; width: 100%; }
          table.jobs td, table.jobs th { border-top: 1px solid #ddd; padding: .6rem; vertical-align: top; text-align: left; }
          img { max-width: 260px; max-height: 260px; border: 1px solid #ccc; background: #fafafa; }
          .ok { color: #176f2c; font-weight: 600; } .hit { color: #1a56a6; font-weight: 600; }
          .fail { color: #a61a1a; font-weight: 600; } .muted { color: #666; font-size: .9em; }
          code, pre { background: #f4f4f4; padding: .1rem .3rem; }
          pre { padding: 1rem; overflow-x: auto; }
        </style></head><body>
        <h1>Editstream demo</h1>
        """);
    b.append("<p>Each row is one <code>EditJob</code> published to Kafka; the processor answered")
        .append(" each with one <code>EditResult</code> or <code>EditFailure</code>.</p>\n");
    b.append("<pre>").append(esc(summary.table())).append("</pre>\n");
    b.append(
        "<table class=\"jobs\"><tr><th>job</th><th>before</th><th>after</th><th>outcome</th></tr>\n");
    for (SampleJob job : jobs) {
      b.append("<tr><td><b>")
          .append(esc(job.jobId()))
          .append("</b><br><span class=\"muted\">")
          .append(esc(job.tenant()))
          .append(" / ")
          .append(esc(job.sku()))
          .append("</span><p>&ldquo;")
          .append(esc(job.instruction()))
          .append("&rdquo;");
      for (String step : job.steps()) {
        b.append("<br>then &ldquo;").append(esc(step)).append("&rdquo;");
      }
      b.append("</p><p class=\"muted\">")
          .append(esc(job.shows()))
          .append("<br>")
          .append(esc(job.size() + ", " + job.format() + ", " + job.priority()))
          .append("</p></td>");
      b.append("<td><img src=\"")
          .append(INPUTS)
          .append('/')
          .append(esc(job.image()))
          .append("\" alt=\"input\"></td>");
      EditResult result = results.get(job.jobId());
      EditFailure failure = failures.get(job.jobId());
      if (result != null) {
        b.append("<td>");
        List<OutputImage> images = result.getImages();
        for (int i = 0; i < images.size(); i++) {
          OutputImage img = images.get(i);
          b.append("<img src=\"")
              .append(IMAGES)
              .append('/')
              .append(esc(imageName(job.jobId(), i, img.getMimeType())))
              .append("\" alt=\"result\"><br><span class=\"muted\">")
              .append(img.getWidth())
              .append("&times;")
              .append(img.getHeight())
              .append(' ')
              .append(esc(img.getMimeType()))
              .append(", ")
              .append(String.format(Locale.ROOT, "%,d", img.getSizeBytes()))
              .append(" bytes</span>");
        }
        b.append("</td><td>");
        if (result.getCacheHit()) {
          b.append("<span class=\"hit\">cache hit</span><br>no model call, no quota used");
        } else {
          b.append("<span class=\"ok\">done</span><br>")
              .append(result.getAttempts())
              .append(result.getAttempts() == 1 ? " attempt" : " attempts")
              .append(", model ")
              .append(result.getTimings().getModelMs())
              .append(" ms<br>tokens ")
              .append(result.getUsage().getPromptTokens())
              .append(" in / ")
              .append(result.getUsage().getOutputTokens())
              .append(" out");
          if (result.getEstimatedCostUsd() != null) {
            b.append(String.format(Locale.ROOT, "<br>est. $%.4f", result.getEstimatedCostUsd()));
          }
        }
        b.append("<br><span class=\"muted\">end to end ")
            .append(result.getTimings().getTotalMs())
            .append(" ms</span></td>");
      } else if (failure != null) {
        b.append("<td>&mdash;</td><td><span class=\"fail\">")
            .append(esc(failure.getCode().name()))
            .append("</span><br>")
            .append(esc(failure.getMessage()))
            .append("<br><span class=\"muted\">retryable: ")
            .append(failure.getRetryable())
            .append(", attempts: ")
            .append(failure.getAttempts())
            .append("</span></td>");
      } else {
        b.append("<td>&mdash;</td><td><span class=\"fail\">no outcome</span></td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n<p class=\"muted\">Sample photos: see inputs/ and")
        .append(" demo/src/main/resources/io/editstream/demo/samples/README.md for their")
        .append(" sources and licences.</p>\n</body></html>\n");
    Path report = dir.resolve(REPORT);
    Files.writeString(report, b, StandardCharsets.UTF_8);
    return report;
  }

  private static String esc(String s) {
    return s == null ? "" : HTML.escape(s);
  }
}
