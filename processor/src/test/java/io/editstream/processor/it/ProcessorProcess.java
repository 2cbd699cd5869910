package io.editstream.processor.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** The processor in a JVM of its own, started from this test's classpath, so it can be killed. */
final class ProcessorProcess implements AutoCloseable {
  private final Process process;
  final Path log;

  ProcessorProcess(Map<String, String> settings, Path dir, String name) throws IOException {
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

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no commit, no goodbye. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
