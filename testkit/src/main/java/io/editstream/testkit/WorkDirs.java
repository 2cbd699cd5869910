package io.editstream.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the test infrastructure of this JVM keeps data and logs. */
final class WorkDirs {
  private WorkDirs() {}

  /**
   * {@code target/editstream-infra} under the working directory (Surefire runs in the module
   * directory, so {@code mvn clean} removes it), or under the temp directory when there is no
   * {@code target}.
   */
  static Path root() {
    Path target = Path.of(System.getProperty("user.dir"), "target");
    Path base = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
    return base.resolve("editstream-infra");
  }
}
