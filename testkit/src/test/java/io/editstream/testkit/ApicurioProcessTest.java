package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApicurioProcessTest {

  @Test
  void missingHomeSettingSaysHowToGetApicurio() {
    assertThatThrownBy(() -> ApicurioProcess.locateJar(null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("editstream.apicurio.home")
        .hasMessageContaining("mvn -B verify");
  }

  @Test
  void missingJarIsNamedWithItsPath(@TempDir Path empty) {
    assertThatThrownBy(() -> ApicurioProcess.locateJar(empty.toString()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(empty.resolve(ApicurioProcess.JAR).toString())
        .hasMessageContaining("mvn -B verify");
  }

  @Test
  void orphanOfADeadJvmIsStoppedAndALiveJvmsRegistryIsLeftAlone(@TempDir Path dir)
      throws Exception {
    Process deadJvm = new ProcessBuilder("true").start();
    deadJvm.waitFor(10, TimeUnit.SECONDS);
    Process orphan = fakeApicurio(12345);
    Process sibling = fakeApicurio(12346);
    try {
      Files.writeString(dir.resolve("apicurio-12345.pid"), orphan.pid() + " " + deadJvm.pid());
      Files.writeString(
          dir.resolve("apicurio-12346.pid"), sibling.pid() + " " + ProcessHandle.current().pid());

      ApicurioProcess.reapOrphans(dir);

      assertThat(orphan.waitFor(10, TimeUnit.SECONDS)).as("orphan stopped").isTrue();
      assertThat(dir.resolve("apicurio-12345.pid")).doesNotExist();
      assertThat(sibling.isAlive()).as("registry of a live JVM").isTrue();
      assertThat(dir.resolve("apicurio-12346.pid")).exists();
    } finally {
      orphan.destroyForcibly();
      sibling.destroyForcibly();
    }
  }

  /** A process whose command line looks like our Apicurio on the given port. */
  private static Process fakeApicurio(int port) throws Exception {
    return new ProcessBuilder(
            "sh", "-c", "sleep 60; true", ApicurioProcess.JAR, "-Dquarkus.http.port=" + port)
        .start();
  }
}
