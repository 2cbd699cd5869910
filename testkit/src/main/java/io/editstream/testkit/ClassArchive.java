package io.editstream.testkit;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An AppCDS archive (JDK class-data sharing) for a child JVM started from a jar: the first run
 * records the classes it loaded into a file beside the jar ({@code -XX:ArchiveClassesAtExit},
 * written while that JVM exits), later runs map them instead of loading and verifying them again
 * ({@code -XX:SharedArchiveFile}). The archive is named after the Java version, so another JDK
 * records its own; a JVM that cannot use an archive ignores it and loads classes as usual.
 *
 * <p>Several JVMs may start the same child at once: each records to a file of its own and moves it
 * into place atomically, so a reader never sees half an archive.
 */
final class ClassArchive {
  private static final Logger log = LoggerFactory.getLogger(ClassArchive.class);

  private final Path archive;
  private final boolean enabled;

  private ClassArchive(Path archive, boolean enabled) {
    this.archive = archive;
    this.enabled = enabled;
  }

  /** The archive of {@code jar}, in its folder; {@code enabled} false adds no option at all. */
  static ClassArchive beside(Path jar, boolean enabled) {
    String name =
        jar.getFileName() + "-java" + System.getProperty("java.version").replace('/', '_') + ".jsa";
    return new ClassArchive(jar.resolveSibling(name), enabled);
  }

  Path path() {
    return archive;
  }

  /** The options of one child JVM run; {@code runId} tells concurrent recordings apart. */
  Use use(String runId) {
    if (!enabled) {
      return new Use(List.of(), null, archive);
    }
    if (Files.isRegularFile(archive)) {
      return new Use(List.of("-XX:SharedArchiveFile=" + archive), null, archive);
    }
    if (!Files.isWritable(archive.getParent())) {
      return new Use(List.of(), null, archive);
    }
    Path recording = archive.resolveSibling(archive.getFileName() + "." + runId + ".tmp");
    return new Use(List.of("-XX:ArchiveClassesAtExit=" + recording), recording, archive);
  }

  /** What one run passes to its JVM, and where it records, if it does. */
  record Use(List<String> jvmOptions, Path recording, Path archive) {
    /**
     * Keeps the recording as the archive when the child exited by itself (a killed JVM may have
     * left half a file); otherwise deletes it.
     */
    void finish(boolean exitedNormally) {
      if (recording == null) {
        return;
      }
      try {
        if (exitedNormally && Files.isRegularFile(recording) && Files.size(recording) > 0) {
          try {
            Files.move(recording, archive, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(recording, archive, StandardCopyOption.REPLACE_EXISTING);
          }
          log.info("Recorded class-data archive {}", archive);
        }
      } catch (IOException e) {
        log.debug("Could not keep class-data archive {}", recording, e);
      } finally {
        try {
          Files.deleteIfExists(recording);
        } catch (IOException e) {
          log.debug("Could not delete {}", recording, e);
        }
      }
    }
  }
}
