package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editstream.processor.config.Setting;
import io.editstream.processor.config.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two Dockerfiles cannot be built here (no engine), so this checks what they rely on: a small
 * JRE base, a non-root user, a health check on the exposed port, and that the fat jar they copy
 * exists with a working {@code Main-Class} ({@code java -jar ... --help} exits 0). The jars exist
 * when the reactor has packaged those modules before this one ({@code mvn verify}).
 */
class ContainerImagesTest {
  private static final Pattern COPY_JAR = Pattern.compile("(?m)^COPY (target/\\S+\\.jar) ");
  private static final Pattern EXPOSE = Pattern.compile("(?m)^EXPOSE (\\d+)");
  private final Path root = Repo.root();

  private String dockerfile(String module) throws Exception {
    return Files.readString(root.resolve(module).resolve("Dockerfile"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"processor", "emulator"})
  void shouldUseASmallJreAndANonRootUserWithAHealthCheck(String module) throws Exception {
    String d = dockerfile(module);
    assertThat(d).containsPattern("(?m)^FROM eclipse-temurin:17-jre$");
    Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(d);
    assertThat(user.find()).isTrue();
    assertThat(user.group(1)).isNotIn("root", "0");
    Matcher expose = EXPOSE.matcher(d);
    assertThat(expose.find()).isTrue();
    assertThat(d)
        .containsPattern("(?m)^HEALTHCHECK ")
        .contains("/dev/tcp/127.0.0.1/" + expose.group(1) + " ")
        .contains("GET /health ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"processor", "emulator"})
  void shouldCopyARunnableFatJar(String module) throws Exception {
    Matcher copy = COPY_JAR.matcher(dockerfile(module));
    assertThat(copy.find()).isTrue();
    Path jar = root.resolve(module).resolve(copy.group(1));
    assumeTrue(Files.isRegularFile(jar), jar + " is not built; run mvn -B verify from the root");
    try (JarFile j = new JarFile(jar.toFile())) {
      String main = j.getManifest().getMainAttributes().getValue("Main-Class");
      assertThat(main).startsWith("io.editstream.");
      assertThat(j.getEntry(main.replace('.', '/') + ".class")).isNotNull();
      // A fat jar: its dependencies are inside, not on a Class-Path.
      assertThat(j.getEntry("org/slf4j/Logger.class")).isNotNull();
    }
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "--help")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("Usage");
    if (module.equals("processor")) {
      for (Setting s : Settings.ALL) {
        assertThat(out).as("--help lists %s", s.name()).contains(s.name());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"processor"})
  void shouldSetOnlySettingsTheProcessorKnows(String module) throws Exception {
    Set<String> known = Settings.ALL.stream().map(Setting::env).collect(Collectors.toSet());
    Matcher env = Pattern.compile("(EDITSTREAM_[A-Z_]+)=").matcher(dockerfile(module));
    List<String> used = env.results().map(r -> r.group(1)).toList();
    assertThat(used).isNotEmpty();
    assertThat(known).containsAll(used);
  }
}
