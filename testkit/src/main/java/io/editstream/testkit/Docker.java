package io.editstream.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/** Whether tests may start containers; asked once per JVM. */
final class Docker {
  private static final Logger log = LoggerFactory.getLogger(Docker.class);

  /** Set to {@code false} to use in-JVM infrastructure even where Docker runs. */
  static final String SWITCH = "EDITSTREAM_TEST_DOCKER";

  private static Boolean available;

  private Docker() {}

  static synchronized boolean available() {
    if (available == null) {
      available = probe();
    }
    return available;
  }

  private static boolean probe() {
    String setting = Settings.get(SWITCH);
    if (setting != null && setting.toLowerCase(Locale.ROOT).equals("false")) {
      log.info("{}=false: not looking for Docker", SWITCH);
      return false;
    }
    if (!mightBeThere()) {
      log.info("Docker is not available (no DOCKER_HOST, Testcontainers settings or docker.sock)");
      return false;
    }
    long start = System.nanoTime();
    boolean found;
    try {
      found = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      log.debug("Docker probe failed", e);
      found = false;
    }
    log.info(
        "Docker {} (probe took {} ms)",
        found ? "is available" : "is not available",
        (System.nanoTime() - start) / 1_000_000);
    return found;
  }

  /**
   * A cheap check that saves Testcontainers' probe, which logs an ERROR with every strategy it
   * tried, on machines without any sign of Docker. Where one sign exists, Testcontainers decides.
   */
  private static boolean mightBeThere() {
    if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win")
        || Settings.get("DOCKER_HOST") != null
        || Settings.get("docker.host") != null) {
      return true;
    }
    Path home = Path.of(System.getProperty("user.home"));
    List<Path> signs = new ArrayList<>();
    signs.add(home.resolve(".testcontainers.properties"));
    signs.add(Path.of("/var/run/docker.sock"));
    signs.add(home.resolve(".docker/run/docker.sock"));
    signs.add(home.resolve(".docker/desktop/docker.sock"));
    String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
    if (runtimeDir != null) {
      signs.add(Path.of(runtimeDir, "docker.sock"));
    }
    return signs.stream().anyMatch(Files::exists);
  }
}
