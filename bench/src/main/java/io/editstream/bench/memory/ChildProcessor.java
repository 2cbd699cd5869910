package io.editstream.bench.memory;

import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.Setting;
import io.editstream.processor.config.Settings;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The production processor ({@code EditstreamProcessor.main --config FILE}) in a child JVM with a
 * fixed {@code -Xmx}, so that its heap is measured alone (the broker, the registry client, the
 * emulator and the load generator stay in the benchmark's JVM). Its heap is read over JMX on a
 * loopback port.
 */
final class ChildProcessor implements AutoCloseable {

  private final Process process;
  private final JMXConnector jmx;
  private final MemoryMXBean memory;
  private final Thread killOnExit;

  private ChildProcessor(Process process, JMXConnector jmx, MemoryMXBean memory) {
    this.process = process;
    this.jmx = jmx;
    this.memory = memory;
    // A benchmark stopped with Ctrl-C must not leave its processor running.
    this.killOnExit = new Thread(process::destroyForcibly, "memory-bench-child-kill");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * Writes {@code settings} to {@code dir/processor.properties} and starts the processor with them;
   * its output goes to {@code log}. Returns once its JMX agent answers.
   */
  static ChildProcessor start(
      Map<String, String> settings, String maxHeap, Path dir, Path log, Duration timeout)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path file = dir.resolve("processor.properties");
    Properties p = new Properties();
    p.putAll(new TreeMap<>(settings));
    try (Writer w = Files.newBufferedWriter(file)) {
      p.store(w, "memory benchmark");
    }
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + maxHeap);
    cmd.add("-Xms64m");
    cmd.add("-XX:+UseG1GC");
    cmd.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.editstream");
    cmd.add("-Deditstream.bench.log=" + log.toAbsolutePath());
    cmd.add("-Dcom.sun.management.jmxremote.port=" + port);
    cmd.add("-Dcom.sun.management.jmxremote.rmi.port=" + port);
    cmd.add("-Dcom.sun.management.jmxremote.host=127.0.0.1");
    cmd.add("-Djava.rmi.server.hostname=127.0.0.1");
    cmd.add("-Dcom.sun.management.jmxremote.authenticate=false");
    cmd.add("-Dcom.sun.management.jmxremote.ssl=false");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(EditstreamProcessor.class.getName());
    cmd.add("--config");
    cmd.add(file.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // The environment overrides the file: keep the benchmark's own settings authoritative.
    for (Setting s : Settings.ALL) {
      pb.environment().remove(s.env());
    }
    Process process = pb.start();
    try {
      JMXConnector jmx = connect(port, process, timeout);
      MemoryMXBean memory =
          ManagementFactory.newPlatformMXBeanProxy(
              jmx.getMBeanServerConnection(),
              ManagementFactory.MEMORY_MXBEAN_NAME,
              MemoryMXBean.class);
      return new ChildProcessor(process, jmx, memory);
    } catch (IOException | InterruptedException | RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private static JMXConnector connect(int port, Process process, Duration timeout)
      throws IOException, InterruptedException {
    JMXServiceURL url =
        new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("the processor exited with code " + process.exitValue());
      }
      try {
        return JMXConnectorFactory.connect(url);
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException("no JMX agent on 127.0.0.1:" + port + " after " + timeout, e);
        }
        Thread.sleep(200); // the child JVM is still starting; it has no other signal to wait on
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Heap in use now (live and not yet collected). */
  long heapUsed() {
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** Runs a full collection and returns the heap left in use: the live data. */
  long liveAfterFullGc() {
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  boolean alive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The child's peak resident set (VmHWM, Linux), or -1 where /proc is not there. */
  long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  /** SIGTERM (the processor's shutdown hook closes it), then a kill after 40 s. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs anyway
    }
    try {
      jmx.close();
    } catch (IOException e) {
      // the child may already be gone
    }
    process.destroy();
    try {
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly(); // no waiting any more: do not leave it running
      Thread.currentThread().interrupt();
    }
  }
}
