package io.editstream.emulator;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar editstream-emulator.jar [options]}: runs the emulator until interrupted. */
@Command(
    name = "editstream-emulator",
    mixinStandardHelpOptions = true,
    version = "editstream-emulator 0.1.0",
    sortOptions = false,
    description =
        "A local Gemini image API (generateContent, streamGenerateContent) with quotas, latency"
            + " and faults. See emulator/README.md.")
public final class Main implements Callable<Integer> {

  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(
      names = "--port",
      description = "Port to bind, 0 = any free port (default: ${DEFAULT-VALUE}).")
  int port = 8089;

  @Option(
      names = "--api-key",
      description =
          "The only accepted API key; others get 400 API_KEY_INVALID, none gets 403. Default: any"
              + " key or none. Also read from EMULATOR_API_KEY.",
      defaultValue = "${env:EMULATOR_API_KEY}")
  String apiKey;

  @Option(
      names = "--bearer-token",
      description =
          "The only accepted 'Authorization: Bearer' token on the Vertex AI and WaveSpeed routes."
              + " Default: any token or none. Also read from EMULATOR_BEARER_TOKEN.",
      defaultValue = "${env:EMULATOR_BEARER_TOKEN}")
  String bearerToken;

  @Option(
      names = "--models",
      split = ",",
      description = "Model ids served (default: ${DEFAULT-VALUE}).")
  String[] models = EmulatorConfig.DEFAULT_MODELS.toArray(String[]::new);

  @Option(
      names = "--latency-mean-ms",
      description =
          "Mean latency of a 512 px edit; 1K x1.25, 2K x1.6, 4K x2.4 (default: ${DEFAULT-VALUE}).")
  long latencyMeanMs = 2800;

  @Option(
      names = "--latency-sigma",
      description = "Log-normal sigma of the latency (default: ${DEFAULT-VALUE}).")
  double latencySigma = 0.25;

  @Option(names = "--rpm", description = "Requests per minute per key and model, 0 = unlimited.")
  long rpm;

  @Option(
      names = "--ipm",
      description = "Output images per minute per key and model, 0 = unlimited.")
  long ipm;

  @Option(
      names = "--tpm",
      description = "Input tokens per minute per key and model, 0 = unlimited.")
  long tpm;

  @Option(
      names = "--rpd",
      description = "Requests per day per key and model (Pacific-time day), 0 = unlimited.")
  long rpd;

  @Option(names = "--error-rate", description = "Share of 500 INTERNAL / 503 UNAVAILABLE answers.")
  double errorRate;

  @Option(names = "--timeout-rate", description = "Share of 504 DEADLINE_EXCEEDED answers.")
  double timeoutRate;

  @Option(names = "--drop-rate", description = "Share of connections closed without an answer.")
  double dropRate;

  @Option(names = "--block-rate", description = "Share of prompts blocked (PROHIBITED_CONTENT).")
  double blockRate;

  @Option(names = "--image-safety-rate", description = "Share of IMAGE_SAFETY finishes (no image).")
  double imageSafetyRate;

  @Option(names = "--no-image-rate", description = "Share of text-only answers (NO_IMAGE).")
  double noImageRate;

  @Option(names = "--slow-rate", description = "Share of answers delayed to --slow-ms.")
  double slowRate;

  @Option(names = "--slow-ms", description = "Latency of slow answers (default: ${DEFAULT-VALUE}).")
  long slowMs = 30_000;

  @Option(names = "--seed", description = "Seed of every random draw (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(
      names = "--batch-turnaround-ms",
      description =
          "Time from batch creation to its end state; half pending, half running (default:"
              + " ${DEFAULT-VALUE}).")
  long batchTurnaroundMs = EmulatorConfig.DEFAULT_BATCH_TURNAROUND.toMillis();

  @Option(
      names = "--batch-max-concurrent",
      description =
          "Batches per API key pending or running at once, 0 = unlimited (default:"
              + " ${DEFAULT-VALUE}).")
  int batchMaxConcurrent = EmulatorConfig.DEFAULT_BATCH_MAX_CONCURRENT;

  @Option(
      names = "--batch-max-enqueued-tokens",
      description = "Input tokens per key and model waiting in batches, 0 = unlimited.")
  long batchMaxEnqueuedTokens;

  @Option(
      names = "--batch-drop-inline-metadata",
      description =
          "Answer inline batch responses without their request's metadata, as Google's backend"
              + " has been seen to (the reference documents it echoed).")
  boolean batchDropInlineMetadata;

  @Option(
      names = "--cheap-render",
      description =
          "Render each input at each size once, without the instruction, and put the instruction"
              + " into the answer PNG's text chunk instead: same answer sizes at a fraction of the"
              + " CPU, for benchmarks that share their cores with the emulator.")
  boolean cheapRender;

  public static void main(String[] args) {
    // Default logging of the runnable jar, unless -Dlogback.configurationFile names another.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "io/editstream/emulator/logback-default.xml");
    }
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    return cli.execute(args);
  }

  EmulatorConfig config() {
    EmulatorConfig d = EmulatorConfig.defaults();
    return new EmulatorConfig(
        host,
        port,
        apiKey == null || apiKey.isBlank() ? null : apiKey,
        bearerToken == null || bearerToken.isBlank() ? null : bearerToken,
        Arrays.asList(models),
        latencyMeanMs,
        latencySigma,
        rpm,
        ipm,
        tpm,
        rpd,
        errorRate,
        timeoutRate,
        dropRate,
        blockRate,
        imageSafetyRate,
        noImageRate,
        slowRate,
        slowMs,
        seed,
        d.clock(),
        Duration.ofMillis(batchTurnaroundMs),
        batchMaxConcurrent,
        batchMaxEnqueuedTokens,
        !batchDropInlineMetadata,
        cheapRender);
  }

  @Override
  public Integer call() throws InterruptedException {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "editstream-emulator-logback.xml");
    }
    EmulatorConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      System.err.println("Invalid setting: " + e.getMessage());
      return 2;
    }
    Emulator emulator = Emulator.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  emulator.close();
                  stopped.countDown();
                },
                "emulator-shutdown"));
    LoggerFactory.getLogger(Main.class)
        .info("Gemini emulator listening on {} ({})", emulator.baseUrl(), config);
    stopped.await();
    return 0;
  }
}
