package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
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
}
