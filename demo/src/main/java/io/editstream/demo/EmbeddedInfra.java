package io.editstream.demo;

import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.SchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The embedded default: the test kit's in-JVM KRaft broker and an Apicurio Registry child process,
 * started side by side, and for {@code --blob-store s3} an S3Proxy child process too. All are
 * stopped by the test kit's JVM shutdown hooks, so the demo leaves no process behind once its JVM
 * exits.
 *
 * <p>{@code KAFKA_BOOTSTRAP_SERVERS}, {@code SCHEMA_REGISTRY_URL} and {@code
 * EDITSTREAM_S3_ENDPOINT} (with {@code EDITSTREAM_S3_ACCESS_KEY} and {@code
 * EDITSTREAM_S3_SECRET_KEY}) point the demo at an existing cluster, registry and S3 store instead
 * (the test kit's rules).
 */
final class EmbeddedInfra {
  static final String APICURIO_HOME = "editstream.apicurio.home";
  static final String APICURIO_DIR = "apicurio-registry-2.6.13.Final";
  static final String APICURIO_JAR = "apicurio-registry-app-2.6.13.Final-runner.jar";
  static final String S3PROXY_JAR_PROPERTY = "editstream.s3proxy.jar";
  static final String S3PROXY_JAR = "s3proxy-2.6.0-jar-with-dependencies.jar";

  private EmbeddedInfra() {}

  /**
   * Broker and registry, both ready, and the S3 server when asked for (else null), with how long
   * each took from the call (they start side by side, so the slowest one is the wait).
   */
  record Started(
      KafkaBroker broker,
      SchemaRegistry registry,
      S3Server s3,
      long brokerMs,
      long registryMs,
      long s3Ms) {}

  static Started start(boolean withS3) {
    configureApicurioHome();
    if (withS3) {
      configureS3ProxyJar();
    }
    // The demo is the in-process default; a local Docker engine must not change that.
    if (System.getProperty("EDITSTREAM_TEST_DOCKER") == null) {
      System.setProperty("EDITSTREAM_TEST_DOCKER", "false");
    }
    long begin = System.nanoTime();
    long[] readyMs = new long[3];
    CompletableFuture<KafkaBroker> broker =
        CompletableFuture.supplyAsync(timed(KafkaBroker::shared, begin, readyMs, 0));
    CompletableFuture<SchemaRegistry> registry =
        CompletableFuture.supplyAsync(timed(SchemaRegistry::shared, begin, readyMs, 1));
    CompletableFuture<S3Server> s3 =
        withS3
            ? CompletableFuture.supplyAsync(timed(S3Server::shared, begin, readyMs, 2))
            : CompletableFuture.completedFuture(null);
    try {
      KafkaBroker b = broker.join();
      SchemaRegistry r = registry.join();
      S3Server s = s3.join();
      // join() makes the writes of the finished suppliers visible here.
      return new Started(b, r, s, readyMs[0], readyMs[1], readyMs[2]);
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  private static <T> java.util.function.Supplier<T> timed(
      java.util.function.Supplier<T> start, long begin, long[] readyMs, int slot) {
    return () -> {
      T started = start.get();
      readyMs[slot] = (System.nanoTime() - begin) / 1_000_000;
      return started;
    };
  }

  /**
   * The test kit starts Apicurio from {@code editstream.apicurio.home}. Maven passes it to tests;
   * for {@code java -jar} the demo finds the copy the build unpacked: the path recorded at build
   * time, else {@code target/infra/...} of the repository the jar sits in, else of the working
   * directory.
   */
  static void configureApicurioHome() {
    if (System.getProperty(APICURIO_HOME) != null || System.getenv("SCHEMA_REGISTRY_URL") != null) {
      return;
    }
    Path home = findApicurioHome();
    System.setProperty(APICURIO_HOME, home.toString());
  }

  static Path findApicurioHome() {
    java.util.List<Path> candidates = new java.util.ArrayList<>();
    String built = buildTimeProperty(APICURIO_HOME);
    if (built != null) {
      candidates.add(Path.of(built));
    }
    jarRepositoryRoot().ifPresent(root -> candidates.add(infra(root)));
    candidates.add(infra(Path.of("").toAbsolutePath()));
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate.resolve(APICURIO_JAR))) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "Apicurio Registry is not unpacked; looked in "
            + candidates
            + ". Build first, from the repository root: mvn -B -q -DskipTests package"
            + " (it unpacks Apicurio into target/infra), or set SCHEMA_REGISTRY_URL to a running"
            + " registry");
  }

  /** The test kit starts S3Proxy from {@code editstream.s3proxy.jar}; found as Apicurio is. */
  static void configureS3ProxyJar() {
    if (System.getProperty(S3PROXY_JAR_PROPERTY) != null
        || System.getenv("EDITSTREAM_S3_ENDPOINT") != null) {
      return;
    }
    System.setProperty(S3PROXY_JAR_PROPERTY, findS3ProxyJar().toString());
  }

  static Path findS3ProxyJar() {
    java.util.List<Path> candidates = new java.util.ArrayList<>();
    String built = buildTimeProperty(S3PROXY_JAR_PROPERTY);
    if (built != null) {
      candidates.add(Path.of(built));
    }
    jarRepositoryRoot().ifPresent(root -> candidates.add(infraDir(root).resolve(S3PROXY_JAR)));
    candidates.add(infraDir(Path.of("").toAbsolutePath()).resolve(S3PROXY_JAR));
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "S3Proxy is not copied; looked for "
            + candidates
            + ". Build first, from the repository root: mvn -B -q -DskipTests package"
            + " (it copies S3Proxy into target/infra), or set EDITSTREAM_S3_ENDPOINT (with"
            + " EDITSTREAM_S3_ACCESS_KEY and EDITSTREAM_S3_SECRET_KEY) to a running S3 store");
  }

  private static Path infra(Path repositoryRoot) {
    return infraDir(repositoryRoot).resolve(APICURIO_DIR);
  }

  private static Path infraDir(Path repositoryRoot) {
    return repositoryRoot.resolve("target").resolve("infra");
  }

  private static String buildTimeProperty(String name) {
    try (InputStream in = EmbeddedInfra.class.getResourceAsStream("build.properties")) {
      if (in == null) {
        return null;
      }
      Properties p = new Properties();
      p.load(in);
      String value = p.getProperty(name);
      return value == null || value.isBlank() || value.contains("${") ? null : value;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** demo/target/editstream-demo.jar (or demo/target/classes) lives two levels below the root. */
  private static java.util.Optional<Path> jarRepositoryRoot() {
    try {
      Path location =
          Path.of(EmbeddedInfra.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path up = location.getParent() == null ? null : location.getParent().getParent();
      return java.util.Optional.ofNullable(up == null ? null : up.getParent());
    } catch (URISyntaxException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }
}
