package io.editstream.cli.listen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A self-contained HTML page of a batch: one row per job with its "before" images (when known), its
 * "after" images, and the failure reason for failed jobs. Images are referenced (relative paths,
 * file: URIs) or embedded as data: URIs; nothing is fetched from the network.
 */
public final class HtmlReport {
  private final String title;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> summary = new ArrayList<>();

  /**
   * One job.
   *
   * @param status e.g. {@code ok}, {@code cached}, or the failure code
   * @param detail failure message or model text, may be empty
   * @param before image sources (URLs, relative paths, data: URIs) of the inputs
   * @param after image sources of the outputs
   */
  public record Row(
      String jobId,
      String sku,
      String status,
      boolean failed,
      String detail,
      List<String> before,
      List<String> after) {}

  public HtmlReport(String title) {
    this.title = title;
  }

  public void add(Row row) {
    rows.add(row);
  }

  public void summaryLine(String line) {
    summary.add(line);
  }

  public void write(Path file) throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(escape(title))
        .append("</title>\n<style>\n")
        .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n")
        .append(
            "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}\n")
        .append("img{max-width:160px;max-height:160px;margin:2px;border:1px solid #eee}\n")
        .append("tr.failed td{background:#fff3f3}.status{font-weight:bold}.none{color:#999}\n")
        .append("</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n<ul>\n");
    for (String line : summary) {
      h.append("<li>").append(escape(line)).append("</li>\n");
    }
    h.append(
        "</ul>\n<table>\n<tr><th>SKU</th><th>job</th><th>status</th><th>before</th><th>after</th><th>detail</th></tr>\n");
    for (Row row : rows) {
      h.append(row.failed() ? "<tr class=\"failed\">" : "<tr>")
          .append("<td>")
          .append(escape(row.sku() == null ? "" : row.sku()))
          .append("</td>")
          .append("<td><code>")
          .append(escape(row.jobId()))
          .append("</code></td>")
          .append("<td class=\"status\">")
          .append(escape(row.status()))
          .append("</td>")
          .append("<td>")
          .append(images(row.before()))
          .append("</td>")
          .append("<td>")
          .append(images(row.after()))
          .append("</td>")
          .append("<td>")
          .append(escape(row.detail() == null ? "" : row.detail()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n</body></html>\n");
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, h, StandardCharsets.UTF_8);
  }

  private static String images(List<String> sources) {
    if (sources.isEmpty()) {
      return "<span class=\"none\">unknown</span>";
    }
    StringBuilder sb = new StringBuilder();
    for (String src : sources) {
      String s = escape(src);
      sb.append("<a href=\"")
          .append(s)
          .append("\"><img src=\"")
          .append(s)
          .append("\" alt=\"\"></a>");
    }
    return sb.toString();
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
