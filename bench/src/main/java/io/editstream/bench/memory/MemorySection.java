package io.editstream.bench.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The memory benchmark's section of {@code docs/benchmarks.md}: a multi-column table (one row per
 * backlog size) between {@code <!-- bench:memory:start -->} and {@code :end} markers, so a run
 * replaces only this section.
 */
final class MemorySection {
  static final String ID = "memory";

  private final String title;
  private final String command;
  private final String header;
  private final List<String> facts = new ArrayList<>();
  private final List<List<String>> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private List<String> columns = List.of();

  /** {@code header}: the line under the command (date, machine, load). */
  MemorySection(String title, String command, String header) {
    this.title = title;
    this.command = command;
    this.header = header;
  }

  MemorySection fact(String fact) {
    facts.add(fact);
    return this;
  }

  MemorySection columns(String... names) {
    columns = List.of(names);
    return this;
  }

  MemorySection row(String... cells) {
    if (cells.length != columns.size()) {
      throw new IllegalArgumentException(
          "a row needs " + columns.size() + " cells but has " + cells.length);
    }
    rows.add(List.of(cells));
    return this;
  }

  MemorySection note(String note) {
    notes.add(note);
    return this;
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("<!-- bench:").append(ID).append(":start -->\n");
    b.append("## ").append(title).append("\n\n");
    b.append("Command: `").append(command).append("`\n\n");
    b.append(header).append("\n\n");
    for (String f : facts) {
      b.append("- ").append(f).append('\n');
    }
    b.append("\n| ").append(String.join(" | ", columns)).append(" |\n|");
    b.append("---:|".repeat(columns.size())).append('\n');
    for (List<String> r : rows) {
      b.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    if (!notes.isEmpty()) {
      b.append('\n');
      for (String n : notes) {
        b.append("- ").append(n).append('\n');
      }
    }
    b.append("<!-- bench:").append(ID).append(":end -->\n");
    return b.toString();
  }

  /** The text of {@code doc} with this section replaced, or appended when it is not there yet. */
  String replaceIn(String doc) {
    String start = "<!-- bench:" + ID + ":start -->";
    String end = "<!-- bench:" + ID + ":end -->";
    int from = doc.indexOf(start);
    int to = doc.indexOf(end);
    if (from >= 0 && to > from) {
      int after = Math.min(doc.length(), to + end.length() + 1);
      return doc.substring(0, from) + markdown() + doc.substring(after);
    }
    return doc + (doc.endsWith("\n\n") || doc.isEmpty() ? "" : "\n") + markdown();
  }

  void writeTo(Path doc) throws IOException {
    String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n\n";
    if (doc.getParent() != null) {
      Files.createDirectories(doc.getParent());
    }
    Files.writeString(doc, replaceIn(text));
  }

  void print(java.io.PrintStream out) {
    out.println();
    out.println("== " + title);
    facts.forEach(f -> out.println("   " + f));
    List<Integer> widths = new ArrayList<>();
    for (int c = 0; c < columns.size(); c++) {
      int w = columns.get(c).length();
      for (List<String> r : rows) {
        w = Math.max(w, r.get(c).length());
      }
      widths.add(w);
    }
    StringBuilder format = new StringBuilder("  ");
    widths.forEach(w -> format.append(" %").append(w).append('s'));
    format.append("%n");
    out.printf(format.toString(), columns.toArray());
    for (List<String> r : rows) {
      out.printf(format.toString(), r.toArray());
    }
    notes.forEach(n -> out.println("   * " + n));
    out.println();
  }

  static String loadAverage() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", load);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1024.0 * 1024));
  }
}
