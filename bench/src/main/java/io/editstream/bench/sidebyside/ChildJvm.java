package io.editstream.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One system under test in a JVM of its own, started from this JVM's classpath (so it can be killed
 * with SIGKILL and started again). Its stdout goes to {@code NAME.out} (heap samples), its logs to
 * {@code NAME.log}.
 */
final class ChildJvm {
  private final Process process;
  private final Path out;

  private ChildJvm(Process process, Path out) {
    this.process = process;
    this.out = out;
  }

  static ChildJvm start(String mainClass, List<String> args, Path dir, String name, String heap)
      throws IOException {
    Files.createDirectories(dir);
    Path out = dir.resolve(name + ".out");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-Djava.awt.headless=true");
    cmd.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.editstream");
    cmd.add("-Deditstream.bench.log=" + dir.resolve(name + ".log"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("EDITSTREAM_") || k.equals("GEMINI_API_KEY"));
    return new ChildJvm(pb.start(), out);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no commit, no goodbye. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code seconds}. */
  void stop(int seconds) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Peak heap used and peak heap after GC, in bytes, as the child last reported them. */
  long[] heapPeaks() {
    try {
      return HeapSampler.lastPeaks(Files.readAllLines(out, StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      return new long[] {0, 0};
    }
  }

  /** The child's output, for a message when it died on its own. */
  String outputTail() {
    try {
      List<String> lines = Files.readAllLines(out, StandardCharsets.ISO_8859_1);
      return String.join(
          "\n",
          lines.stream()
              .filter(l -> !l.startsWith(HeapSampler.PREFIX))
              .skip(Math.max(0, lines.size() - 40))
              .toList());
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }
}
