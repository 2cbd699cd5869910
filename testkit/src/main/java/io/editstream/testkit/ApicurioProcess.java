package io.editstream.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry 2.6.13.Final (in-memory storage) run as a child process on 127.0.0.1, from the
 * copy the build unpacks into {@code editstream.apicurio.home}.
 */
final class ApicurioProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApicurioProcess.class);

  static final String HOME_SETTING = "editstream.apicurio.home";
  static final String JAR = "apicurio-registry-app-2.6.13.Final-runner.jar";
  static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  /** {@code false} starts Apicurio without a class-data archive (to measure the difference). */
  static final String CDS_SETTING = "EDITSTREAM_APICURIO_CDS";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  /** A run that records the class-data archive writes it while exiting: 5-15 s on 2 busy cores. */
  private static final Duration RECORDING_STOP_GRACE = Duration.ofSeconds(60);

  private static final int ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 40;

  private final Process process;
  private final int port;
  private final Path logFile;
  private final Path pidFile;
  private final ClassArchive.Use archive;

  private ApicurioProcess(
      Process process, int port, Path logFile, Path pidFile, ClassArchive.Use archive) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
    this.pidFile = pidFile;
    this.archive = archive;
  }

  /**
   * Starts Apicurio and waits until it is ready. A port taken between choosing and binding it (by
   * another test JVM) costs one more attempt on a new port.
   */
  static ApicurioProcess start(HttpClient http) throws IOException, InterruptedException {
    Path jar = locateJar(Settings.get(HOME_SETTING));
    Path dir = WorkDirs.root();
    Files.createDirectories(dir);
    reapOrphans(dir);
    ClassArchive classes = ClassArchive.beside(jar, !"false".equals(Settings.get(CDS_SETTING)));
    for (int attempt = 1; ; attempt++) {
      int port = freeLoopbackPort();
      Path logFile = dir.resolve("apicurio-" + port + ".log");
      ClassArchive.Use archive = classes.use(String.valueOf(port));
      List<String> command = new java.util.ArrayList<>(command(jar, port));
      command.addAll(1, archive.jvmOptions());
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
      Path pidFile = dir.resolve("apicurio-" + port + ".pid");
      Files.writeString(pidFile, process.pid() + " " + ProcessHandle.current().pid());
      ApicurioProcess apicurio = new ApicurioProcess(process, port, logFile, pidFile, archive);
      try {
        apicurio.awaitReady(http);
        return apicurio;
      } catch (PortTakenException e) {
        apicurio.close();
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException(
              "Apicurio could not bind a free port in " + ATTEMPTS + " attempts", e);
        }
        log.info("Port {} was taken before Apicurio bound it; trying another", port);
      } catch (IOException | InterruptedException | RuntimeException e) {
        apicurio.close();
        throw e;
      }
    }
  }

  /**
   * Stops registries left by test JVMs that were killed before their shutdown hook ran (e.g. by
   * SIGKILL): only processes named in our pid files, whose parent JVM is gone and whose command
   * line is still Apicurio on the recorded port.
   */
  static void reapOrphans(Path dir) {
    ChildProcesses.reapOrphans(
        dir,
        "apicurio-",
        (commandLine, port) ->
            commandLine.contains(JAR) && commandLine.contains("quarkus.http.port=" + port));
  }

  /** The runner jar under {@code home}, or an error saying how to get it. */
  static Path locateJar(String home) {
    if (home == null) {
      throw new IllegalStateException(
          "System property "
              + HOME_SETTING
              + " is not set, so there is no Apicurio Registry to start; run the build from the"
              + " repository root: mvn -B verify (it unpacks Apicurio and passes the property to"
              + " tests), or set SCHEMA_REGISTRY_URL");
    }
    Path jar = Path.of(home, JAR);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "Apicurio Registry jar not found at "
              + jar
              + " ("
              + HOME_SETTING
              + "="
              + home
              + "); run the build from the repository root: mvn -B verify");
    }
    return jar;
  }

  private static List<String> command(Path jar, int port) {
    String java =
        Path.of(System.getProperty("java.home"), "bin", "java").toAbsolutePath().toString();
    return List.of(
        java,
        "-Xmx256m",
        // Start-up is the demo's critical path and the registry does little work afterwards: C1
        // only and the serial GC started it in a median 7.4 s instead of 17.7 s on a loaded
        // 2-core machine (5 runs each), as S3ProxyProcess already does.
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + port,
        "-Dregistry.ccompat.use-canonical-hash=true",
        "-jar",
        jar.toString());
  }

  /** An ephemeral port that was free a moment ago; the caller must cope with losing it. */
  static int freeLoopbackPort() throws IOException {
    return ChildProcesses.freeLoopbackPort();
  }

  private void awaitReady(HttpClient http) throws IOException, InterruptedException {
    // Health alone could come from another process that won the port; the log line proves the
    // server answering is ours.
    String listening = "Listening on: http://127.0.0.1:" + port;
    URI health = URI.create(baseUrl() + "/health/ready");
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    boolean bound = false;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String tail = logTail();
        if (tail.contains("Address already in use") || tail.contains("Port already bound")) {
          throw new PortTakenException(tail);
        }
        throw new IllegalStateException(
            "Apicurio Registry exited with code "
                + process.exitValue()
                + " before it was ready; log "
                + logFile
                + " ends with:\n"
                + tail);
      }
      bound = bound || Files.readString(logFile, StandardCharsets.ISO_8859_1).contains(listening);
      if (bound && isReady(http, health)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "Apicurio Registry was not ready within "
            + READY_TIMEOUT.toSeconds()
            + " s at "
            + health
            + "; log "
            + logFile
            + " ends with:\n"
            + logTail());
  }

  private static boolean isReady(HttpClient http, URI health) throws InterruptedException {
    try {
      HttpRequest request = HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  String ccompatUrl() {
    return baseUrl() + CCOMPAT_PATH;
  }

  Path logFile() {
    return logFile;
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.ISO_8859_1);
      return String.join(
          "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /**
   * Asks Apicurio to stop, and kills it if it has not stopped after a grace period. A run that
   * recorded a class-data archive writes it while it exits; the archive is kept only then.
   */
  @Override
  public void close() {
    try {
      boolean stoppedByItself = stop();
      archive.finish(stoppedByItself);
    } finally {
      try {
        Files.deleteIfExists(pidFile);
      } catch (IOException e) {
        log.debug("Could not delete {}", pidFile, e);
      }
    }
  }

  /** True when the process ended after SIGTERM (or before), false when it had to be killed. */
  private boolean stop() {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    Duration grace = archive.recording() == null ? STOP_GRACE : RECORDING_STOP_GRACE;
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("Apicurio Registry did not stop within {} s; killing it", grace.toSeconds());
        process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        return false;
      }
      return true;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static final class PortTakenException extends UncheckedIOException {
    PortTakenException(String logTail) {
      super(new IOException("port taken; Apicurio log ends with:\n" + logTail));
    }
  }
}
