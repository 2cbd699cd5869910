package io.editstream.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a run may write into its output folder. A folder holding an earlier run is replaced only
 * when the user says so: {@code --overwrite}, or "y" at the prompt when someone is at a terminal.
 * Nothing is asked for a new or empty folder, so the README's first run never stops at a prompt.
 */
final class OutputFolder {
  /** Asks the person at the terminal a yes/no question; absent without a terminal. */
  interface Confirm {
    boolean ask(String question);
  }

  /** The files and folders a run writes (and {@link ReportWriter#clean()} removes). */
  static final List<String> RUN_FILES =
      List.of(
          ReportWriter.REPORT,
          Demo.SUMMARY_JSON,
          Demo.METRICS,
          ReportWriter.IMAGES,
          ReportWriter.INPUTS);

  private OutputFolder() {}

  /** What of an earlier run {@code dir} holds; empty for a new or unrelated folder. */
  static List<String> earlierRun(Path dir) {
    return RUN_FILES.stream().filter(name -> Files.exists(dir.resolve(name))).toList();
  }

  /**
   * Returns when the run may write into {@code dir}.
   *
   * @param confirm asks the user; null when there is no terminal
   * @throws IllegalArgumentException naming {@code --overwrite} and {@code --output} when {@code
   *     dir} holds an earlier run that may not be replaced
   */
  static void claim(Path dir, boolean overwrite, Confirm confirm) {
    List<String> earlier = earlierRun(dir);
    if (earlier.isEmpty() || overwrite) {
      return;
    }
    String what = dir + " holds an earlier demo run (" + String.join(", ", earlier) + ")";
    if (confirm != null && confirm.ask(what + ". Replace it? [y/N] ")) {
      return;
    }
    throw new IllegalArgumentException(
        what
            + "; not replaced. Pass --overwrite to replace it, or --output DIR to write elsewhere.");
  }
}
