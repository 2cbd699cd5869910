package io.editstream.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Servers the test kit runs as child processes (Apicurio, S3Proxy): each leaves a pid file {@code
 * <name>-<port>.pid} holding its pid and its parent JVM's pid, so a later JVM can stop what a
 * killed one left running.
 */
final class ChildProcesses {
  private static final Logger log = LoggerFactory.getLogger(ChildProcesses.class);

  private ChildProcesses() {}

  /**
   * Stops servers left by test JVMs that were killed before their shutdown hook ran (e.g. by
   * SIGKILL): only processes named in pid files {@code dir/<name>-<port>.pid}, whose parent JVM is
   * gone and whose command line {@code ours} still recognises for the recorded port.
   */
  static void reapOrphans(Path dir, String name, BiPredicate<String, String> ours) {
    try (var files = Files.newDirectoryStream(dir, name + "*.pid")) {
      for (Path pidFile : files) {
        String[] pids = Files.readString(pidFile).trim().split(" ");
        String file = pidFile.getFileName().toString();
        String port = file.substring(name.length(), file.length() - ".pid".length());
        long child = Long.parseLong(pids[0]);
        long parent = Long.parseLong(pids[1]);
        if (ProcessHandle.of(parent).filter(ProcessHandle::isAlive).isPresent()) {
          continue;
        }
        ProcessHandle.of(child)
            .filter(h -> h.info().commandLine().filter(c -> ours.test(c, port)).isPresent())
            .ifPresent(
                h -> {
                  log.warn(
                      "Stopping {} pid {} left behind by dead test JVM {}", name, child, parent);
                  h.destroyForcibly();
                });
        Files.deleteIfExists(pidFile);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("Could not look for orphaned {} processes in {}", name, dir, e);
    }
  }

  /** An ephemeral port that was free a moment ago; the caller must cope with losing it. */
  static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
