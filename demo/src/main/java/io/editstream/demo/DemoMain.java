package io.editstream.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar demo/target/editstream-demo.jar [options]}: the one-command demo. Exit code 0
 * when every job got exactly one outcome, 1 when not, 2 for a bad option or a component that could
 * not start. The JVM exits at the end, which stops the embedded broker and registry.
 */
@Command(
    name = "editstream-demo",
    mixinStandardHelpOptions = true,
    version = "editstream-demo 0.1.0",
    sortOptions = false,
    description = {
      "Runs Editstream end to end on one machine: an in-process Kafka broker (KRaft), a schema"
          + " registry (Apicurio), the Gemini API emulator and the processor; submits sample"
          + " product-photo jobs, follows the results and writes the finished images and an HTML"
          + " before/after report.",
      "With GEMINI_API_KEY set, calls Google's Gemini API instead of the emulator (at"
          + " GEMINI_BASE_URL if set); jobs that need emulator fault markers are skipped."
    })
public final class DemoMain implements Callable<Integer> {
  static final String LOG_DIR_PROPERTY = "editstream.demo.log.dir";
  static final String LOG_FILE = "demo.log";
  static final String LOGBACK_CONFIG = "logback.configurationFile";

  @Option(
      names = {"-o", "--output"},
      description =
          "Folder for images, report.html, summary.json and demo.log (default: ${DEFAULT-VALUE}).")
  Path output = Path.of("demo-output");

  @Option(
      names = "--overwrite",
      description =
          "Replace an earlier run in the output folder without asking. Without it the demo asks"
              + " at a terminal and refuses otherwise (a new or empty folder is never asked about).")
  boolean overwrite;

  @Option(
      names = "--images",
      paramLabel = "DIR",
      description =
          "Edit your own photos instead of the samples: the .jpg, .jpeg, .png, .webp, .heic and"
              + " .heif files directly in DIR (up to 6 MB each), one job per photo, all with one"
              + " edit (background to white, soft shadow).")
  Path images;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      description =
          "How many jobs to submit (1-"
              + DemoOptions.MAX_JOBS
              + "): the samples or photos in order, again from the first (as cache hits) when N"
              + " is larger. Default: one per sample or photo.")
  Integer jobs;

  @Option(names = "--emulator", description = "Use the emulator even when GEMINI_API_KEY is set.")
  boolean forceEmulator;

  @Option(
      names = "--emulator-latency-ms",
      description =
          "Mean emulator latency of a 512 px edit; the real API takes ~2800 (default: ${DEFAULT-VALUE}).")
  long emulatorLatencyMs = DemoOptions.DEFAULT_EMULATOR_LATENCY_MS;

  @Option(
      names = "--blob-store",
      paramLabel = "local|s3",
      description =
          "Where the processor stores finished images: local (a directory; small images also"
              + " travel inline in the results) or s3 (an embedded S3Proxy bucket; results carry"
              + " s3:// URIs and presigned URLs, and the demo downloads every image by its"
              + " presigned URL). Default: ${DEFAULT-VALUE}.")
  String blobStore = "local";

  @Option(
      names = "--timeout-s",
      description = "Seconds to wait for every job's outcome (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds = DemoOptions.DEFAULT_TIMEOUT.toSeconds();

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    return new CommandLine(new DemoMain())
        // One line saying what is wrong and where to look; the usage would bury it.
        .setParameterExceptionHandler(
            (ex, ignored) -> {
              java.io.PrintWriter err = ex.getCommandLine().getErr();
              err.println("editstream-demo: " + ex.getMessage());
              CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
              err.println(
                  "See 'java -jar demo/target/editstream-demo.jar --help' for the options.");
              return 2;
            })
        .execute(args);
  }

  @Override
  public Integer call() {
    DemoOptions options;
    Photos photos;
    try {
      if (jobs != null && jobs < 1) {
        throw new IllegalArgumentException(
            "--jobs must be between 1 and " + DemoOptions.MAX_JOBS + ", was " + jobs);
      }
      options =
          DemoOptions.fromEnvironment(output, System.getenv())
              .withEmulatorLatencyMs(emulatorLatencyMs)
              .withTimeout(Duration.ofSeconds(timeoutSeconds))
              .withBlobStore(DemoOptions.BlobStore.parse(blobStore))
              .withImages(images)
              .withJobCount(jobs == null ? 0 : jobs);
      if (forceEmulator) {
        options = options.withProvider(DemoOptions.Provider.EMULATOR);
      }
      checkModelApi(options);
      // Checks --images before anything starts or any file is touched (and no logger exists yet:
      // Photos and OutputFolder log nothing).
      photos = Photos.of(options.images());
      OutputFolder.claim(output.toAbsolutePath().normalize(), overwrite, terminal());
    } catch (IllegalArgumentException e) {
      System.err.println("editstream-demo: " + e.getMessage());
      return 2;
    }
    // Before the first logger exists: the log goes to the output folder, the console stays clean.
    System.setProperty(LOG_DIR_PROPERTY, output.toAbsolutePath().toString());
    // Our configuration by name: the command line's jar brings a logback.xml of its own.
    if (System.getProperty(LOGBACK_CONFIG) == null) {
      System.setProperty(LOGBACK_CONFIG, "editstream-demo-logback.xml");
    }
    // Kafka's test kit brings log4j-core and a YAML config it cannot load; it says so at ERROR.
    System.setProperty("log4j2.statusLoggerLevel", "OFF");
    trustAvroClasses();
    PrintStream console = System.out;
    System.setOut(
        new PrintStream(
            new LoggingOutputStream(org.slf4j.LoggerFactory.getLogger("stdout"), console),
            true,
            java.nio.charset.StandardCharsets.UTF_8));
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    try {
      DemoSummary summary = new Demo(options, photos, console, Clock.systemUTC()).run();
      return summary.complete() ? 0 : 1;
    } catch (RuntimeException | java.io.IOException e) {
      System.err.println("editstream-demo: " + e.getMessage());
      System.err.println("Details in " + output.resolve(LOG_FILE).toAbsolutePath());
      org.slf4j.LoggerFactory.getLogger(DemoMain.class).error("Demo failed", e);
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 2;
    }
  }

  /**
   * With {@code GEMINI_BASE_URL} set, that it accepts connections: else every job would fail with
   * MODEL_UNAVAILABLE after its retries, after the whole start-up.
   *
   * @throws IllegalArgumentException naming GEMINI_BASE_URL and --emulator when it does not
   */
  static void checkModelApi(DemoOptions options) {
    if (options.provider() != DemoOptions.Provider.GEMINI || options.geminiBaseUrl() == null) {
      return;
    }
    io.editstream.processor.config.Reachability.problem(
            "gemini.base.url", options.geminiBaseUrl(), Duration.ofSeconds(5))
        .ifPresent(
            problem -> {
              throw new IllegalArgumentException(
                  "the model API "
                      + problem
                      + " (unset GEMINI_BASE_URL to call Google, or pass --emulator)");
            });
  }

  /** A yes/no prompt on the terminal; null when stdin or stdout is not one (CI, pipes). */
  private static OutputFolder.Confirm terminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return null;
    }
    return question -> {
      String answer = console.readLine("%s", question);
      return answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y");
    };
  }

  /** Avro 1.12 loads generated classes only from trusted packages. */
  static void trustAvroClasses() {
    String key = "org.apache.avro.SERIALIZABLE_PACKAGES";
    String trusted = System.getProperty(key);
    if (trusted == null || trusted.isBlank()) {
      System.setProperty(key, "io.editstream");
    } else if (!trusted.contains("io.editstream")) {
      System.setProperty(key, trusted + ",io.editstream");
    }
  }
}
