package io.editstream.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, for tests that check files beside the code (README, compose, jars). */
final class Repo {
  private Repo() {}

  /** Surefire runs in the module directory, {@code demo/}; the root is its parent. */
  static Path root() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docker-compose.yml"))
          && Files.isDirectory(p.resolve("demo"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repository root above " + dir);
  }
}
