package io.editstream.processor.chaos;

import io.editstream.schema.FailureCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The table every chaos and hostile-input run prints: load held, faults injected, bad inputs tried,
 * outcomes, lost and doubled. Printed to stdout (failsafe keeps it in {@code
 * target/failsafe-reports/*-output.txt}) and appended to {@code target/reliability/summary.md}, the
 * source of the numbers in {@code docs/reliability.md}.
 */
final class ReliabilityTable {

  static final String HEADER =
      "| Scenario | Load held | Faults injected | Bad inputs | Outcomes | Lost | Doubled |\n"
          + "|---|---|---|---|---|---|---|\n";

  /** One run. Emulator answers count what the model API really sent, retries included. */
  record Row(
      String scenario,
      int jobs,
      Duration duration,
      int kills,
      int brokerRestarts,
      long modelCalls,
      long answered503,
      long answered500,
      long answered429,
      int badInputs,
      int results,
      Map<FailureCode, Integer> failuresByCode,
      int dlq,
      int lost,
      int doubled) {

    String markdown() {
      int failures = failuresByCode.values().stream().mapToInt(Integer::intValue).sum();
      String byCode =
          failuresByCode.isEmpty()
              ? ""
              : failuresByCode.entrySet().stream()
                  .map(e -> e.getKey() + " " + e.getValue())
                  .collect(Collectors.joining(", ", " (", ")"));
      return String.format(
          "| %s | %d jobs in %d s | %d kill -9, %d broker restart(s); model API: %d calls,"
              + " %d×503, %d×500, %d×429 | %d | %d results, %d failures%s, %d DLQ | %d | %d |",
          scenario,
          jobs,
          duration.toSeconds(),
          kills,
          brokerRestarts,
          modelCalls,
          answered503,
          answered500,
          answered429,
          badInputs,
          results,
          failures,
          byCode,
          dlq,
          lost,
          doubled);
    }
  }

  private ReliabilityTable() {}

  /** Prints the row under the header and appends it to {@code target/reliability/summary.md}. */
  static void print(Row row) {
    String line = row.markdown();
    System.out.println("\n" + HEADER + line + "\n");
    Path dir = Path.of("target", "reliability");
    try {
      Files.createDirectories(dir);
      Path summary = dir.resolve("summary.md");
      try {
        // Two test JVMs may append at once: only the one that creates the file writes the header.
        Files.writeString(summary, HEADER, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
      } catch (FileAlreadyExistsException exists) {
        // Written by an earlier row.
      }
      Files.writeString(summary, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.out.println("(could not write target/reliability/summary.md: " + e + ")");
    }
  }
}
