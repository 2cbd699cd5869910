package io.editstream.processor.testsupport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The processor in a JVM of its own, started from this test's classpath with a properties file, so
 * it can be killed with SIGKILL.
 */
public final class ProcessorJvm implements AutoCloseable {
  private final Process process;
  public final String name;
  public final Path log;

  /** The ops server's port when {@code http.port} names one, else -1 (none, or ephemeral). */
  public final int httpPort;

  public ProcessorJvm(Map<String, String> settings, Path dir, String name) throws IOException {
    this.name = name;
    int port = Integer.parseInt(settings.getOrDefault("http.port", "0"));
    this.httpPort = port > 0 ? port : -1;
    Files.createDirectories(dir);
    Path config = dir.resolve(name + ".properties");
    Properties p = new Properties();
    p.putAll(settings);
    try (OutputStream out = Files.newOutputStream(config)) {
      p.store(out, "processor " + name);
    }
    log = dir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    // Fewer GC threads on a small, busy machine; the test JVM needs the cores too.
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.editstream");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.editstream.processor.EditstreamProcessor");
    cmd.add("--config");
    cmd.add(config.toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("EDITSTREAM_") || k.equals("GEMINI_API_KEY"));
    process = pb.start();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no commit, no goodbye. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The last lines of the log, for assertion messages. */
  public String logTail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** SIGTERM (the shutdown hook commits and closes), SIGKILL if it does not stop in 30 s. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly(); // no waiting any more: do not leave it running
        Thread.currentThread().interrupt();
      }
    }
  }
}
