package io.editstream.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.registry.InMemorySchemaRegistryClient;
import io.editstream.schema.EditFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.util.ClassSecurityValidator;
import org.junit.jupiter.api.Test;

/**
 * Production JVMs may not set {@code org.apache.avro.SERIALIZABLE_PACKAGES} (test JVMs do). A child
 * JVM without it proves the deserializer still loads our generated classes.
 */
class UntrustedJvmTest {

  @Test
  void shouldDeserializeInAJvmWithoutSerializablePackages() throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(java.toString(), "-Xmx128m", "-cp", classpath, Main.class.getName())
            .redirectErrorStream(true)
            .start();

    boolean exited = child.waitFor(60, TimeUnit.SECONDS);
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(exited).as("child JVM finished").isTrue();
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("untrusted-before=true", "round-trip=ok");
  }

  /** Runs in the child JVM. */
  public static final class Main {
    public static void main(String[] args) {
      if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") != null) {
        throw new IllegalStateException("the child JVM must not set SERIALIZABLE_PACKAGES");
      }
      // Precondition: Avro alone does not trust our classes here, so the test can fail.
      System.out.println(
          "untrusted-before=" + !ClassSecurityValidator.getGlobal().isTrusted(EditFailure.class));
      var registry = new InMemorySchemaRegistryClient();
      var serde = AvroSerdes.serde(EditFailure.class, registry, Map.of(), false);
      EditFailure failure = SampleRecords.failure("child");
      EditFailure read =
          serde.deserializer().deserialize("t", serde.serializer().serialize("t", failure));
      if (!failure.equals(read)) {
        throw new AssertionError("round trip changed the record: " + read);
      }
      System.out.println("round-trip=ok");
    }
  }
}
