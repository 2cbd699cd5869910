package io.editstream.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One benchmark's measured numbers: printed as a table and written as a section of {@code
 * docs/benchmarks.md} (between markers, so a run replaces only its own section).
 */
public final class Report {
  static final String DOC_HEADER =
      """
      # Benchmarks

      Measured numbers, each with the command that produced it. They are commands, not tests: build
      once, then run any of them from the repository root.

      ```
      mvn -B -q -pl bench -am package -DskipTests
      java -jar bench/target/editstream-bench.jar throughput        # issue 4
      java -jar bench/target/editstream-bench.jar cache-hits        # issue 6
      java -jar bench/target/editstream-bench.jar <name> --quick    # smaller, for a smoke run
      java -jar bench/target/editstream-bench.jar quota-benchmark   # issue 5, see benchmarks-quota.md
      java -jar bench/target/editstream-bench.jar side-by-side      # issue 9: vs naive and Parallel Consumer
      java -jar bench/target/editstream-bench.jar blob-stores       # issue 15: local vs S3 blob store
      java -jar bench/target/editstream-bench.jar batch-benchmark   # issue 18: online vs batch lane
      java -jar bench/target/editstream-bench.jar --help
      ```

      Every benchmark runs on real parts: the in-JVM KRaft broker and the Apicurio registry process
      from `testkit` (or `KAFKA_BOOTSTRAP_SERVERS` / `SCHEMA_REGISTRY_URL` when set) and the
      in-process model emulator over HTTP; the processor is the production one
      (`EditstreamProcessor.start`). Broker, registry, emulator, processor and the load generator
      share one machine, so the numbers are a floor for the processor alone. Logs go to
      `target/editstream-bench.log`. A run rewrites its own section below and leaves the others.

      """;

  private final String id;
  private final String title;
  private final String command;
  private final List<String> facts = new ArrayList<>();
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private List<String> tableHeader = List.of();
  private final List<List<String>> tableRows = new ArrayList<>();
  private final String loadAtStart = loadAverage();

  public Report(String id, String title, String command) {
    this.id = id;
    this.title = title;
    this.command = command;
  }

  /** A line of the setup (workload, settings). */
  public Report fact(String fact) {
    facts.add(fact);
    return this;
  }

  /** One measured value with what it is compared against (target, expectation) or "". */
  public Report row(String metric, String value, String note) {
    rows.add(new String[] {metric, value, note});
    return this;
  }

  /**
   * A table with columns of its own (one row per compared thing), printed before the metric rows.
   * The first column is left-aligned, the others right-aligned.
   */
  public Report table(List<String> header, List<List<String>> rows) {
    for (List<String> r : rows) {
      if (r.size() != header.size()) {
        throw new IllegalArgumentException(
            "table row has " + r.size() + " cells, header " + header.size() + ": " + r);
      }
    }
    tableHeader = List.copyOf(header);
    tableRows.clear();
    tableRows.addAll(rows.stream().map(List::copyOf).toList());
    return this;
  }

  /** A remark under the table (how to read a number, what limits it). */
  public Report note(String note) {
    notes.add(note);
    return this;
  }

  public void print(PrintStream out) {
    out.println();
    out.println("== " + title);
    for (String f : facts) {
      out.println("   " + f);
    }
    printTable(out);
    if (rows.isEmpty()) {
      for (String n : notes) {
        out.println("   * " + n);
      }
      out.println();
      return;
    }
    int w0 = "metric".length();
    int w1 = "value".length();
    for (String[] r : rows) {
      w0 = Math.max(w0, r[0].length());
      w1 = Math.max(w1, r[1].length());
    }
    String format = "   %-" + w0 + "s  %" + w1 + "s  %s%n";
    out.printf(format, "metric", "value", "target / note");
    out.printf(format, "-".repeat(w0), "-".repeat(w1), "-".repeat(13));
    for (String[] r : rows) {
      out.printf(format, r[0], r[1], r[2]);
    }
    for (String n : notes) {
      out.println("   * " + n);
    }
    out.println();
  }

  private void printTable(PrintStream out) {
    if (tableHeader.isEmpty()) {
      return;
    }
    int[] w = new int[tableHeader.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = tableHeader.get(i).length();
      for (List<String> r : tableRows) {
        w[i] = Math.max(w[i], r.get(i).length());
      }
    }
    List<List<String>> all = new ArrayList<>();
    all.add(tableHeader);
    all.add(java.util.Arrays.stream(w).mapToObj("-"::repeat).toList());
    all.addAll(tableRows);
    for (List<String> r : all) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < w.length; i++) {
        String cell = r.get(i);
        String pad = " ".repeat(w[i] - cell.length());
        line.append(' ').append(i == 0 ? cell + pad : pad + cell).append(' ');
      }
      out.println(line.toString().stripTrailing());
    }
    out.println();
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("<!-- bench:").append(id).append(":start -->\n");
    b.append("## ").append(title).append("\n\n");
    b.append("Command: `").append(command).append("`\n\n");
    b.append("Run: ")
        .append(
            ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)))
        .append(". Machine: ")
        .append(machine())
        .append(". Load average at start / end: ")
        .append(loadAtStart)
        .append(" / ")
        .append(loadAverage())
        .append(
            " (other builds may have been running on the same 2 cores; a load above ~2 means the"
                + " benchmark shared the CPU).\n\n");
    for (String f : facts) {
      b.append("- ").append(f).append('\n');
    }
    if (!tableHeader.isEmpty()) {
      b.append("\n| ").append(String.join(" | ", tableHeader)).append(" |\n|---");
      b.append("|---:".repeat(tableHeader.size() - 1)).append("|\n");
      for (List<String> r : tableRows) {
        b.append("| ").append(String.join(" | ", r)).append(" |\n");
      }
    }
    if (!rows.isEmpty()) {
      b.append("\n| metric | value | target / note |\n|---|---:|---|\n");
    }
    for (String[] r : rows) {
      b.append("| ")
          .append(r[0])
          .append(" | ")
          .append(r[1])
          .append(" | ")
          .append(r[2])
          .append(" |\n");
    }
    if (!notes.isEmpty()) {
      b.append('\n');
      for (String n : notes) {
        b.append("- ").append(n).append('\n');
      }
    }
    b.append("<!-- bench:").append(id).append(":end -->\n");
    return b.toString();
  }

  /** Replaces this report's section of {@code doc} (creating the file if needed). */
  public void writeTo(Path doc) throws IOException {
    String text = Files.exists(doc) ? Files.readString(doc) : DOC_HEADER;
    String start = "<!-- bench:" + id + ":start -->";
    String end = "<!-- bench:" + id + ":end -->";
    int from = text.indexOf(start);
    int to = text.indexOf(end);
    String section = markdown();
    if (from >= 0 && to > from) {
      text = text.substring(0, from) + section + text.substring(to + end.length() + 1);
    } else {
      text = text + (text.endsWith("\n\n") ? "" : "\n") + section;
    }
    if (doc.getParent() != null) {
      Files.createDirectories(doc.getParent());
    }
    Files.writeString(doc, text);
  }

  static String machine() {
    Runtime rt = Runtime.getRuntime();
    return String.format(
        Locale.ROOT,
        "%d cores (%s), %d GiB RAM, JVM %s %s (max heap %d MiB), %s %s",
        rt.availableProcessors(),
        cpuModel(),
        totalMemoryGiB(),
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        rt.maxMemory() / (1024 * 1024),
        System.getProperty("os.name"),
        System.getProperty("os.arch"));
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "unknown CPU";
  }

  private static long totalMemoryGiB() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
    }
    return -1;
  }

  static String loadAverage() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", load);
  }

  /** Formats with a fixed number of decimals, independent of the locale. */
  public static String num(double v, int decimals) {
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }
}
