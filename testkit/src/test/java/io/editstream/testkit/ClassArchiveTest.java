package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real child JVM records the archive once; the next one loads its classes from it. */
class ClassArchiveTest {

  /** The child: loads itself and a few JDK classes, then exits normally. */
  public static final class Child {
    public static void main(String[] args) {
      System.out.println(new java.util.TreeMap<>(java.util.Map.of("ok", 1)));
    }
  }

  @Test
  void shouldRecordOnTheFirstRunAndMapTheArchiveOnLaterRuns(@TempDir Path dir) throws Exception {
    Path jar = childJar(dir);
    ClassArchive archive = ClassArchive.beside(jar, true);

    ClassArchive.Use first = archive.use("1");
    assertThat(first.jvmOptions())
        .singleElement()
        .asString()
        .startsWith("-XX:ArchiveClassesAtExit=");
    assertThat(run(first.jvmOptions(), jar).exitCode).isZero();
    first.finish(true);
    assertThat(archive.path()).isRegularFile();
    assertThat(first.recording()).doesNotExist();

    ClassArchive.Use later = archive.use("2");
    assertThat(later.jvmOptions()).containsExactly("-XX:SharedArchiveFile=" + archive.path());
    List<String> options = new ArrayList<>(later.jvmOptions());
    options.add("-Xlog:class+load=info:stdout");
    Run mapped = run(options, jar);
    assertThat(mapped.exitCode).as(mapped.out).isZero();
    assertThat(mapped.out)
        .as("the child's own class comes from the archive")
        .containsPattern("ClassArchiveTest\\$Child source: shared objects file \\(top\\)");
  }

  @Test
  void shouldDropARecordingOfAChildThatWasKilledAndAddNothingWhenDisabled(@TempDir Path dir)
      throws Exception {
    Path jar = childJar(dir);
    ClassArchive archive = ClassArchive.beside(jar, true);
    ClassArchive.Use killed = archive.use("1");
    Files.writeString(killed.recording(), "half an archive");

    killed.finish(false);

    assertThat(killed.recording()).doesNotExist();
    assertThat(archive.path()).doesNotExist();
    assertThat(ClassArchive.beside(jar, false).use("2").jvmOptions()).isEmpty();
  }

  private record Run(int exitCode, String out) {}

  private static Run run(List<String> options, Path jar) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options);
    command.addAll(List.of("-cp", jar.toString(), Child.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** CDS archives classes from jars only, so the child runs from one. */
  private static Path childJar(Path dir) throws Exception {
    Path jar = dir.resolve("child.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    String entry = Child.class.getName().replace('.', '/') + ".class";
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest);
        InputStream in = Child.class.getClassLoader().getResourceAsStream(entry)) {
      out.putNextEntry(new JarEntry(entry));
      in.transferTo(out);
      out.closeEntry();
    }
    return jar;
  }
}
