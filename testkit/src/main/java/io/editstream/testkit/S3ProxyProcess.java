package io.editstream.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * S3Proxy 2.6.0 (a real S3 REST server over jclouds' filesystem-nio2 provider) run as a child
 * process on 127.0.0.1, from the self-contained jar the build copies to {@code
 * editstream.s3proxy.jar}. Its port and data directory outlive {@link #stop()}, so {@link #start()}
 * brings back the same server with the same objects.
 */
final class S3ProxyProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(S3ProxyProcess.class);

  static final String JAR_SETTING = "editstream.s3proxy.jar";
  static final String JAR_NAME = "s3proxy-2.6.0-jar-with-dependencies.jar";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int LOG_TAIL_LINES = 40;

  private final Path jar;
  private final Path dir;
  private final int port;
  private final String accessKey;
  private final String secretKey;
  private final HttpClient http;
  private Process process;

  private S3ProxyProcess(
      Path jar, Path dir, int port, String accessKey, String secretKey, HttpClient http) {
    this.jar = jar;
    this.dir = dir;
    this.port = port;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.http = http;
  }

  /** Starts S3Proxy on a free loopback port with an empty data directory, and waits until ready. */
  static S3ProxyProcess launch(String accessKey, String secretKey, HttpClient http)
      throws IOException, InterruptedException {
    Path jar = locateJar(Settings.get(JAR_SETTING));
    Path root = WorkDirs.root();
    Files.createDirectories(root);
    ChildProcesses.reapOrphans(
        root,
        "s3proxy-",
        (commandLine, port) ->
            commandLine.contains(JAR_NAME)
                && commandLine.contains("s3proxy-" + port + "/s3proxy.properties"));
    int port = ChildProcesses.freeLoopbackPort();
    Path dir = root.resolve("s3proxy-" + port);
    Files.createDirectories(dir.resolve("data"));
    S3ProxyProcess s3 = new S3ProxyProcess(jar, dir, port, accessKey, secretKey, http);
    s3.writeProperties();
    try {
      s3.start();
    } catch (IOException | InterruptedException | RuntimeException e) {
      s3.close();
      throw e;
    }
    return s3;
  }

  /** The self-contained jar at {@code location}, or an error saying how to get it. */
  static Path locateJar(String location) {
    if (location == null) {
      throw new IllegalStateException(
          "System property "
              + JAR_SETTING
              + " is not set, so there is no S3Proxy to start; run the build from the repository"
              + " root: mvn -B verify (it copies S3Proxy and passes the property to tests), or set "
              + S3Server.ENDPOINT_ENV);
    }
    Path jar = Path.of(location);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "S3Proxy jar not found at "
              + jar
              + " ("
              + JAR_SETTING
              + "); run the build from the repository root: mvn -B verify");
    }
    return jar;
  }

  private void writeProperties() throws IOException {
    Properties p = new Properties();
    p.setProperty("s3proxy.endpoint", baseUrl());
    p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
    p.setProperty("s3proxy.identity", accessKey);
    p.setProperty("s3proxy.credential", secretKey);
    // filesystem-nio2: S3Proxy 2.6 deprecates the older "filesystem" provider, which also lists
    // the directories of keys with slashes as objects.
    p.setProperty("jclouds.provider", "filesystem-nio2");
    p.setProperty("jclouds.filesystem.basedir", dir.resolve("data").toString());
    // Required by the provider, unused by a local directory.
    p.setProperty("jclouds.identity", "local");
    p.setProperty("jclouds.credential", "local");
    try (var out = Files.newBufferedWriter(propertiesFile())) {
      p.store(out, "S3Proxy for Editstream tests");
    }
  }

  private Path propertiesFile() {
    return dir.resolve("s3proxy.properties");
  }

  Path logFile() {
    return dir.resolve("s3proxy.log");
  }

  private Path pidFile() {
    return dir.getParent().resolve("s3proxy-" + port + ".pid");
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  synchronized boolean running() {
    return process != null && process.isAlive();
  }

  /**
   * Starts the server (again) on its port with its data directory and waits until it answers S3
   * requests. Does nothing when it runs.
   */
  synchronized void start() throws IOException, InterruptedException {
    if (running()) {
      return;
    }
    String java =
        Path.of(System.getProperty("java.home"), "bin", "java").toAbsolutePath().toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx192m",
                    "-XX:+UseSerialGC",
                    // Start-up matters more than peak speed for a test server.
                    "-XX:TieredStopAtLevel=1",
                    "-jar",
                    jar.toString(),
                    "--properties",
                    propertiesFile().toString()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
    builder.environment().put("LOG_LEVEL", "warn");
    process = builder.start();
    Files.writeString(pidFile(), process.pid() + " " + ProcessHandle.current().pid());
    awaitReady();
  }

  private void awaitReady() throws InterruptedException {
    URI root = URI.create(baseUrl() + "/");
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "S3Proxy exited with code "
                + process.exitValue()
                + " before it was ready; log "
                + logFile()
                + " ends with:\n"
                + logTail());
      }
      if (answers(root)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "S3Proxy was not ready within "
            + READY_TIMEOUT.toSeconds()
            + " s at "
            + root
            + "; log "
            + logFile()
            + " ends with:\n"
            + logTail());
  }

  /** An anonymous request gets an S3 error document from S3Proxy, and from nothing else. */
  private boolean answers(URI root) throws InterruptedException {
    try {
      HttpRequest request = HttpRequest.newBuilder(root).timeout(Duration.ofSeconds(2)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding())
          .headers()
          .firstValue("x-amz-request-id")
          .isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the server, keeping its port and data; clients see connection failures. */
  synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("S3Proxy did not stop within {} s; killing it", STOP_GRACE.toSeconds());
        process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } finally {
      try {
        Files.deleteIfExists(pidFile());
      } catch (IOException e) {
        log.debug("Could not delete {}", pidFile(), e);
      }
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.ISO_8859_1);
      return String.join(
          "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }
}
