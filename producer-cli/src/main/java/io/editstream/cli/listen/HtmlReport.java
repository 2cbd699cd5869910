package io.editstream.cli.listen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A self-contained HTML page of a batch: one row per job with its instruction, who served it
 * (provider or the dedup cache), its cost, "before" and "after" images, and for failed jobs the
 * reason and the {@link NextStep}. Images are referenced (relative paths, file: URIs) or embedded
 * as data: URIs; nothing is fetched from the network.
 *
 * <p>The page filters rows by status and sorts them by column (a few lines of script, no library);
 * the state is kept in the address ({@code report.html#status=failed&sort=cost}), so a filtered
 * view can be bookmarked. Clicking a thumbnail shows the job's before and after images large, side
 * by side ({@code #view=<jobId>} opens it directly). HEIC inputs, which browsers cannot show, are a
 * labelled link to the file instead of a broken image.
 */
public final class HtmlReport {
  private final String title;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> summary = new ArrayList<>();
  private LaneCosts lanes;

  /**
   * One job.
   *
   * @param status {@code ok}, {@code cached}, {@code no outcome} or the failure code
   * @param failed whether the job ended without an image
   * @param instruction the edit asked for (steps included), or null when unknown
   * @param servedBy provider and lane, e.g. {@code ai-studio} or {@code dedup cache}, or null
   * @param costUsd estimated cost of the job's model calls, or null when unknown
   * @param replayOf for a replayed job, the job id it replays; else null
   * @param nextStep what to do about a failure, or null
   * @param detail failure message or model text, may be empty
   * @param before image sources (URLs, relative paths, data: URIs) of the inputs
   * @param after image sources of the outputs
   * @param lane the lane the job took: {@code online}, {@code batch}, or {@code -} / null when not
   *     known
   */
  public record Row(
      String jobId,
      String sku,
      String status,
      boolean failed,
      String instruction,
      String servedBy,
      Double costUsd,
      String replayOf,
      String nextStep,
      String detail,
      List<String> before,
      List<String> after,
      String lane) {
    public Row {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(status, "status");
      before = List.copyOf(before);
      after = List.copyOf(after);
    }

    /** A row whose lane is not known. */
    public Row(
        String jobId,
        String sku,
        String status,
        boolean failed,
        String instruction,
        String servedBy,
        Double costUsd,
        String replayOf,
        String nextStep,
        String detail,
        List<String> before,
        List<String> after) {
      this(
          jobId,
          sku,
          status,
          failed,
          instruction,
          servedBy,
          costUsd,
          replayOf,
          nextStep,
          detail,
          before,
          after,
          null);
    }
  }

  public HtmlReport(String title) {
    this.title = title;
  }

  public void add(Row row) {
    rows.add(row);
  }

  public void summaryLine(String line) {
    summary.add(line);
  }

  /**
   * The line with the saving of the batch lane: what its jobs would have cost online minus what
   * they cost; none when no job went by batch.
   */
  public void batchSaving(LaneCosts lanes) {
    this.lanes = lanes;
  }

  /** The cost of the listed jobs that have an estimate. */
  double totalCostUsd() {
    return rows.stream().map(Row::costUsd).filter(Objects::nonNull).mapToDouble(d -> d).sum();
  }

  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, html(), StandardCharsets.UTF_8);
  }

  String html() {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(escape(title))
        .append("</title>\n<style>\n")
        .append(STYLE)
        .append("</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n<ul id=\"summary\">\n");
    for (String line : summary) {
      h.append("<li>").append(escape(line)).append("</li>\n");
    }
    long unpriced = rows.stream().filter(r -> r.costUsd() == null && !r.failed()).count();
    h.append("<li id=\"total-cost\">")
        .append(escape(String.format(Locale.ROOT, "Cost of these jobs: $%.4f", totalCostUsd())))
        .append(unpriced == 0 ? "" : escape(" (" + unpriced + " without an estimate)"))
        .append("</li>\n");
    if (lanes != null && lanes.batch() > 0) {
      h.append("<li id=\"batch-saving\">")
          .append(
              escape(
                  String.format(
                      Locale.ROOT,
                      "Batch saving: $%.4f (%d batch job(s) at the online price $%.4f, by batch"
                          + " $%.4f)",
                      lanes.savingUsd(),
                      lanes.batch(),
                      lanes.batchAtOnlinePriceUsd(),
                      lanes.batchCostUsd())))
          .append("</li>\n");
    }
    h.append("</ul>\n");
    h.append("<p class=\"controls\"><label>Show <select id=\"status-filter\">")
        .append("<option value=\"\">all jobs</option>")
        .append("<option value=\"done\">with an image (ok, cached)</option>")
        .append("<option value=\"failed\">failed</option>");
    TreeSet<String> statuses = new TreeSet<>();
    rows.forEach(r -> statuses.add(r.status()));
    for (String s : statuses) {
      h.append("<option value=\"status:")
          .append(escape(s))
          .append("\">")
          .append(escape(s))
          .append("</option>");
    }
    h.append("</select></label> <span id=\"shown\">")
        .append(rows.size())
        .append(" of ")
        .append(rows.size())
        .append(" jobs</span> <span class=\"hint\">Click a column title to sort, a picture to")
        .append(" compare before and after.</span></p>\n");
    h.append("<table id=\"jobs\">\n<thead><tr>")
        .append("<th data-sort=\"sku\">SKU</th>")
        .append("<th data-sort=\"job\">job</th>")
        .append("<th data-sort=\"status\">status</th>")
        .append("<th>instruction</th>")
        .append("<th data-sort=\"served\">served by</th>")
        .append("<th data-sort=\"lane\">lane</th>")
        .append("<th data-sort=\"cost\">cost</th>")
        .append("<th>before</th><th>after</th><th>details</th>")
        .append("</tr></thead>\n<tbody>\n");
    for (Row row : rows) {
      row(h, row);
    }
    h.append("</tbody>\n</table>\n")
        .append(
            "<dialog id=\"viewer\"><form method=\"dialog\"><button class=\"close\">close</button>")
        .append("</form><h2 id=\"viewer-title\"></h2><div class=\"pair\">")
        .append("<figure><figcaption>before</figcaption><div id=\"viewer-before\"></div></figure>")
        .append("<figure><figcaption>after</figcaption><div id=\"viewer-after\"></div></figure>")
        .append("</div></dialog>\n<script>\n")
        .append(SCRIPT)
        .append("</script>\n</body></html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, Row row) {
    h.append("<tr class=\"job")
        .append(row.failed() ? " failed" : "")
        .append(row.replayOf() != null ? " replay" : "")
        .append("\" data-job=\"")
        .append(escape(row.jobId()))
        .append("\" data-sku=\"")
        .append(escape(nullToEmpty(row.sku())))
        .append("\" data-status=\"")
        .append(escape(row.status()))
        .append("\" data-outcome=\"")
        .append(row.failed() ? "failed" : "done")
        .append("\" data-served=\"")
        .append(escape(nullToEmpty(row.servedBy())))
        .append("\" data-lane=\"")
        .append(escape(nullToEmpty(row.lane())))
        .append("\" data-cost=\"")
        .append(row.costUsd() == null ? "" : String.format(Locale.ROOT, "%.6f", row.costUsd()))
        .append("\">");
    h.append("<td>").append(escape(nullToEmpty(row.sku()))).append("</td>");
    h.append("<td><code>").append(escape(row.jobId())).append("</code>");
    if (row.replayOf() != null) {
      h.append("<br><span class=\"replay-mark\">replay of <code>")
          .append(escape(row.replayOf()))
          .append("</code></span>");
    }
    h.append("</td>");
    h.append("<td class=\"status\">").append(escape(row.status())).append("</td>");
    h.append("<td class=\"instruction\">")
        .append(
            row.instruction() == null
                ? "<span class=\"none\">not known</span>"
                : escape(row.instruction()))
        .append("</td>");
    h.append("<td>").append(escape(nullToEmpty(row.servedBy()))).append("</td>");
    h.append("<td class=\"lane\">")
        .append(row.lane() == null ? "<span class=\"none\">&ndash;</span>" : escape(row.lane()))
        .append("</td>");
    h.append("<td class=\"cost\">")
        .append(
            row.costUsd() == null
                ? "<span class=\"none\">&ndash;</span>"
                : escape(String.format(Locale.ROOT, "$%.4f", row.costUsd())))
        .append("</td>");
    h.append("<td class=\"before\">").append(images(row.before(), "before")).append("</td>");
    h.append("<td class=\"after\">").append(images(row.after(), "after")).append("</td>");
    h.append("<td class=\"detail\">");
    if (row.nextStep() != null) {
      h.append("<p class=\"next-step\"><b>Next step:</b> ")
          .append(escape(row.nextStep()))
          .append("</p>");
    }
    if (row.detail() != null && !row.detail().isEmpty()) {
      h.append("<p>").append(escape(row.detail())).append("</p>");
    }
    h.append("</td></tr>\n");
  }

  private static String images(List<String> sources, String side) {
    if (sources.isEmpty()) {
      return "<span class=\"none\">no image</span>";
    }
    StringBuilder sb = new StringBuilder();
    for (String src : sources) {
      String s = escape(src);
      if (isHeic(src)) {
        // Browsers do not decode HEIC: a broken image would look like a failed edit.
        sb.append("<a class=\"heic\" href=\"")
            .append(s)
            .append("\">HEIC photo<br><small>browsers cannot show HEIC: open the file</small></a>");
      } else {
        sb.append("<a class=\"thumb\" href=\"")
            .append(s)
            .append("\"><img src=\"")
            .append(s)
            .append("\" alt=\"")
            .append(side)
            .append("\"></a>");
      }
    }
    return sb.toString();
  }

  /** Whether an image source is a HEIC/HEIF photo (by data: type or file extension). */
  static boolean isHeic(String source) {
    String s = source.toLowerCase(Locale.ROOT);
    if (s.startsWith("data:")) {
      return s.startsWith("data:image/heic") || s.startsWith("data:image/heif");
    }
    return s.matches("(?s).*\\.(heic|heif)([?#].*)?");
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
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

  private static final String STYLE =
      """
      body{font-family:system-ui,sans-serif;margin:2em;color:#222}
      table{border-collapse:collapse;width:100%}
      td,th{border:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}
      th[data-sort]{cursor:pointer;text-decoration:underline dotted}
      th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
      img{max-width:160px;max-height:160px;margin:2px;border:1px solid #eee;cursor:zoom-in}
      tr.failed td{background:#fff3f3}tr.replay td:nth-child(2){border-left:4px solid #4a7}
      .status{font-weight:bold}.none{color:#999}.replay-mark{color:#276;font-size:90%}
      .next-step{background:#fffbe0;padding:4px;margin:0 0 4px}
      .heic{display:inline-block;width:150px;height:100px;padding:8px;border:1px dashed #999;
        background:#f4f4f4;color:#333;text-decoration:none;font-size:90%}
      .controls{margin:1em 0}.hint{color:#777;font-size:90%}
      dialog{width:92vw;max-width:92vw;height:88vh;border:none;box-shadow:0 0 24px #0008}
      dialog::backdrop{background:#000a}
      .pair{display:flex;gap:1em;height:calc(100% - 5em)}
      .pair figure{flex:1;margin:0;display:flex;flex-direction:column;min-width:0}
      .pair figure div{flex:1;min-height:0;display:flex;align-items:center;justify-content:center}
      .pair img{max-width:100%;max-height:100%;border:none;cursor:default}
      .close{float:right}
      """;

  private static final String SCRIPT =
      """
      (function () {
        var body = document.querySelector('#jobs tbody');
        var rows = Array.prototype.slice.call(body.querySelectorAll('tr.job'));
        var filter = document.getElementById('status-filter');
        var state = new URLSearchParams(location.hash.slice(1));
        function save() {
          var h = state.toString();
          history.replaceState(null, '', h ? '#' + h : location.pathname);
        }
        function matches(row, f) {
          if (!f) return true;
          if (f === 'failed' || f === 'done') return row.dataset.outcome === f;
          return 'status:' + row.dataset.status === f;
        }
        function applyFilter() {
          var f = filter.value, shown = 0;
          rows.forEach(function (row) {
            row.hidden = !matches(row, f);
            if (!row.hidden) shown++;
          });
          document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' jobs';
        }
        function key(row, by) {
          if (by === 'cost') return row.dataset.cost === '' ? -1 : parseFloat(row.dataset.cost);
          return (row.dataset[by] || '').toLowerCase();
        }
        function sortBy(by, desc) {
          rows.sort(function (a, b) {
            var x = key(a, by), y = key(b, by);
            return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
          });
          rows.forEach(function (row) { body.appendChild(row); });
          document.querySelectorAll('th[data-sort]').forEach(function (th) {
            th.classList.remove('sorted-asc', 'sorted-desc');
            if (th.dataset.sort === by) th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
          });
        }
        function view(row) {
          var viewer = document.getElementById('viewer');
          document.getElementById('viewer-title').textContent =
            (row.dataset.sku ? row.dataset.sku + ' \\u2013 ' : '') + row.dataset.job;
          ['before', 'after'].forEach(function (side) {
            var target = document.getElementById('viewer-' + side);
            target.innerHTML = '';
            var cell = row.querySelector('td.' + side);
            var images = cell.querySelectorAll('img, a.heic');
            if (images.length === 0) target.textContent = 'no image';
            images.forEach(function (i) { target.appendChild(i.cloneNode(true)); });
          });
          if (!viewer.open) viewer.showModal();
        }
        filter.addEventListener('change', function () {
          if (filter.value) state.set('status', filter.value); else state.delete('status');
          save();
          applyFilter();
        });
        document.querySelectorAll('th[data-sort]').forEach(function (th) {
          th.addEventListener('click', function () {
            var desc = state.get('sort') === th.dataset.sort && state.get('order') !== 'desc';
            state.set('sort', th.dataset.sort);
            if (desc) state.set('order', 'desc'); else state.delete('order');
            save();
            sortBy(th.dataset.sort, desc);
          });
        });
        body.addEventListener('click', function (e) {
          var link = e.target.closest('a.thumb');
          if (!link) return;
          e.preventDefault();
          view(link.closest('tr'));
        });
        document.getElementById('viewer').addEventListener('close', function () {
          state.delete('view');
          save();
        });
        var wanted = state.get('status') || '';
        if (wanted && wanted !== 'failed' && wanted !== 'done' && wanted.indexOf('status:') !== 0) {
          wanted = 'status:' + wanted;
        }
        if (Array.prototype.some.call(filter.options, function (o) { return o.value === wanted; })) {
          filter.value = wanted;
        }
        applyFilter();
        if (state.get('sort')) sortBy(state.get('sort'), state.get('order') === 'desc');
        var v = state.get('view');
        if (v) {
          var row = rows.filter(function (r) { return r.dataset.job === v; })[0];
          if (row) view(row);
        }
      })();
      """;
}
