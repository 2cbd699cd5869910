package io.editstream.cli.manifest;

import java.nio.file.Path;
import java.util.List;

/**
 * A parsed manifest: its rows and the problems met while reading it (malformed lines). Problems of
 * the rows' values are found later, when the rows are planned into jobs.
 *
 * @param file where the manifest was read from; relative image paths are resolved against its
 *     folder
 * @param rows the rows in file order
 * @param problems lines that could not be read
 */
public record Manifest(Path file, List<ManifestRow> rows, List<Problem> problems) {
  public Manifest {
    rows = List.copyOf(rows);
    problems = List.copyOf(problems);
  }

  /** The folder relative image paths are resolved against. */
  public Path baseDir() {
    Path parent = file.toAbsolutePath().getParent();
    return parent == null ? Path.of("").toAbsolutePath() : parent;
  }
}
