package io.editstream.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.editstream.cli.listen.BatchTracker;
import io.editstream.cli.listen.Pricing;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.testkit.S3Server;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One demo run, end to end: start the embedded broker and registry, the emulator (unless a real API
 * was chosen) and the processor; submit the {@link SampleSet}; follow the outcomes; write the
 * images, {@code report.html} and {@code summary.json}; stop the emulator and the processor.
 *
 * <p>The broker and the registry belong to the JVM (the test kit's shared instances) and stop when
 * it exits; {@link DemoMain} exits right after the run.
 */
public final class Demo {
  private static final Logger log = LoggerFactory.getLogger(Demo.class);

  static final String SUMMARY_JSON = "summary.json";
  static final String METRICS = "metrics.prom";

  /** Any key works with the emulator; it is a placeholder, not a secret. */
  static final String EMULATOR_KEY = "demo-emulator-key";

  /** How long the presigned URLs of the S3 run read their image: longer than the run. */
  static final String PRESIGN_TTL = "15m";

  private final DemoOptions options;
  private final PrintStream out;
  private final Clock clock;
  private final Photos photos;

  public Demo(DemoOptions options, PrintStream out, Clock clock) {
    this(options, photosOf(options), out, clock);
  }

  /** With {@code photos} read from {@code options.images()} already. */
  public Demo(DemoOptions options, Photos photos, PrintStream out, Clock clock) {
    this.options = options;
    this.photos = photos;
    this.out = out;
    this.clock = clock;
  }

  /**
   * The photos {@code options} name: the bundled samples, or those of {@code --images}.
   *
   * @throws IllegalArgumentException naming {@code --images} when that folder has none
   */
  public static Photos photosOf(DemoOptions options) {
    return Photos.of(options.images());
  }

  /**
   * Runs the demo and returns its summary (also printed and written to {@code summary.json}).
   *
   * @throws IOException if the output folder cannot be written
   * @throws IllegalStateException if a component cannot start (the message says which and why)
   */
  public DemoSummary run() throws IOException, InterruptedException {
    long begin = System.nanoTime();
    Path outDir = options.outputDir().toAbsolutePath().normalize();
    Files.createDirectories(outDir);
    ReportWriter writer = new ReportWriter(outDir);
    writer.clean();
    boolean emulated = options.provider() == DemoOptions.Provider.EMULATOR;
    List<SampleJob> jobs = jobs(emulated);
    String runId =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC)
            .format(clock.instant());
    Topics topics = Topics.withPrefix("demo-" + runId + ".");

    boolean s3 = options.blobStore() == DemoOptions.BlobStore.S3;
    step(
        "Starting Kafka (in-JVM KRaft broker) and a schema registry (Apicurio Registry)"
            + (s3 ? " and an S3 store (S3Proxy)" : "")
            + "...");
    EmbeddedInfra.Started infra = EmbeddedInfra.start(s3);
    done(begin, infra.broker().description() + " at " + infra.broker().bootstrapServers());
    detail(
        String.format(
            "registry: %s (side by side: broker %.1f s, registry %.1f s%s)",
            infra.registry().url(),
            infra.brokerMs() / 1e3,
            infra.registryMs() / 1e3,
            s3 ? String.format(", S3 %.1f s", infra.s3Ms() / 1e3) : ""));
    ImageStore imageStore = ImageStore.LOCAL;
    if (s3) {
      // Bucket names: 3-63 lower-case letters, digits and hyphens.
      imageStore = new ImageStore(infra.s3(), "demo-" + runId);
      infra.s3().createBucket(imageStore.bucket());
      detail("S3: " + infra.s3().endpoint() + ", bucket " + imageStore.bucket());
    }

    Path work = Files.createTempDirectory("editstream-demo-");
    ModelEndpoint model = null;
    EditstreamProcessor processor = null;
    try {
      model = startModel(emulated);
      long t = System.nanoTime();
      step("Starting the Editstream processor...");
      Map<String, String> settings =
          processorSettings(infra, topics, work, model.apiKey(), model.baseUrl(), imageStore);
      processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
      if (!processor.awaitRunning(Duration.ofSeconds(60))) {
        throw new IllegalStateException(
            "the processor did not reach RUNNING within 60 s (state " + processor.state() + ")");
      }
      done(
          t,
          "Kafka Streams RUNNING; metrics at http://127.0.0.1:"
              + processor.httpPort()
              + "/metrics");
      long startupMs = (System.nanoTime() - begin) / 1_000_000;

      DemoSummary summary =
          submitAndFollow(
              infra,
              topics,
              "demo-" + runId,
              jobs,
              model,
              imageStore,
              processor,
              writer,
              begin,
              startupMs);
      out.println();
      out.print(summary.table());
      out.println();
      out.println(
          "Open " + outDir.resolve(ReportWriter.REPORT).toUri() + " for the before/after report.");
      return summary;
    } finally {
      step("Shutting down...");
      if (processor != null) {
        processor.close();
      }
      if (model != null && model.emulator() != null) {
        model.emulator().close();
      }
      deleteTree(work);
    }
  }

  /**
   * Where the processor of this run stores finished images: a local directory ({@code s3} null), or
   * a bucket of the S3 server with presigned URLs and nothing inline.
   */
  record ImageStore(S3Server s3, String bucket) {
    static final ImageStore LOCAL = new ImageStore(null, null);

    /** What the summary says, e.g. "S3 (S3Proxy at http://127.0.0.1:1234, bucket demo-x), ...". */
    String description() {
      if (s3 == null) {
        return "local directory (blob.dir); images up to 256 KiB also inline in the results";
      }
      return "S3 ("
          + (s3.supportsRestart() ? "S3Proxy" : "S3 store")
          + " at "
          + s3.endpoint()
          + ", bucket "
          + bucket
          + "), presigned URLs ("
          + PRESIGN_TTL
          + "), nothing inline";
    }

    /** A client for {@code s3://} URIs with the store's credentials; the caller closes it. */
    S3Client client() {
      if (s3 == null) {
        throw new IllegalStateException("this run has no S3 store (--blob-store local)");
      }
      return S3Client.builder()
          .endpointOverride(s3.endpoint())
          .region(Region.of(s3.region()))
          .forcePathStyle(s3.pathStyle())
          .credentialsProvider(
              StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
          .httpClient(UrlConnectionHttpClient.builder().build())
          // S3-compatible stores reject the SDK's default aws-chunked uploads with trailing CRCs.
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .build();
    }
  }

  /** Who answers the model calls of this run; {@code emulator} is null for a real API. */
  private record ModelEndpoint(
      String description, String apiKey, String baseUrl, Emulator emulator) {}

  private ModelEndpoint startModel(boolean emulated) {
    if (!emulated) {
      String description =
          options.geminiBaseUrl() == null
              ? "Gemini API (Google, GEMINI_API_KEY)"
              : "Gemini API at " + options.geminiBaseUrl();
      step("Using the real " + description + "; emulator-only jobs are skipped");
      return new ModelEndpoint(description, options.geminiApiKey(), options.geminiBaseUrl(), null);
    }
    long t = System.nanoTime();
    step("Starting the Gemini API emulator...");
    Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey(EMULATOR_KEY)
                .withLatencyMeanMs(options.emulatorLatencyMs()));
    done(t, emulator.baseUrl() + ", " + options.emulatorLatencyMs() + " ms mean latency");
    return new ModelEndpoint(
        "emulator (" + options.emulatorLatencyMs() + " ms mean latency)",
        EMULATOR_KEY,
        emulator.baseUrl(),
        emulator);
  }

  /** The run's jobs: the sample set or one per own photo, as many as {@code --jobs} asks. */
  List<SampleJob> jobs(boolean emulated) {
    if (photos.isBundled()) {
      int all = SampleSet.jobs(emulated).size();
      return SampleSet.jobs(emulated, options.jobCount() == 0 ? all : options.jobCount());
    }
    List<String> names = photos.names();
    return SampleSet.ownPhotoJobs(
        names, options.jobCount() == 0 ? names.size() : options.jobCount());
  }

  /** Submits the jobs, follows their outcomes and writes the output folder. */
  private DemoSummary submitAndFollow(
      EmbeddedInfra.Started infra,
      Topics topics,
      String batch,
      List<SampleJob> jobs,
      ModelEndpoint model,
      ImageStore imageStore,
      EditstreamProcessor processor,
      ReportWriter writer,
      long begin,
      long startupMs)
      throws IOException {
    Map<String, Object> kafka = infra.broker().clientConfig();
    Map<String, Object> registry = infra.registry().clientConfig();
    Path outDir = options.outputDir().toAbsolutePath().normalize();
    try (Outcomes outcomes = new Outcomes(kafka, registry, topics, batch, jobs.size());
        FinishedImages finished = new FinishedImages(imageStore::client);
        JobSubmitter submitter =
            new JobSubmitter(
                JobSubmitter.connection(kafka, registry, topics), photos, batch, clock)) {
      long submitted = System.nanoTime();
      step("Submitting " + jobs.size() + " jobs to " + topics.jobs() + "...");
      submitter.submitAll(jobs, Duration.ofSeconds(30));
      step("Following " + topics.results() + " and " + topics.failures() + ":");
      boolean all =
          outcomes.awaitAll(
              jobs.stream().map(SampleJob::jobId).toList(),
              options.timeout(),
              id -> printOutcome(id, outcomes));
      long processingMs = (System.nanoTime() - submitted) / 1_000_000;
      if (!all) {
        out.printf(
            "  !! not every job had an outcome after %d s; see %s%n",
            options.timeout().toSeconds(), outDir.resolve(DemoMain.LOG_FILE));
      }
      writer.writeInputs(jobs, photos);
      List<String> images = writer.writeImages(outcomes.results(), finished);
      DemoSummary summary =
          summarize(
              model.description(),
              imageStore.description(),
              jobs,
              outcomes,
              model.emulator() == null ? null : model.emulator().stats(),
              startupMs,
              processingMs,
              (System.nanoTime() - begin) / 1_000_000,
              outDir,
              images,
              finished.reads());
      writer.writeReport(jobs, outcomes.results(), outcomes.failures(), summary);
      // What an operator would see on /metrics after this run.
      Files.writeString(outDir.resolve(METRICS), processor.meters().scrape());
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(outDir.resolve(SUMMARY_JSON).toFile(), summary);
      return summary;
    }
  }

  static Map<String, String> processorSettings(
      EmbeddedInfra.Started infra,
      Topics topics,
      Path work,
      String apiKey,
      String baseUrl,
      ImageStore imageStore) {
    Map<String, String> s = new HashMap<>();
    s.putAll(infra.broker().settings("kafka."));
    s.put("schema.registry.url", infra.registry().url());
    infra
        .registry()
        .clientConfig()
        .forEach(
            (k, v) -> {
              if (!k.equals("schema.registry.url")) {
                s.put(
                    k.startsWith("schema.registry.") ? k : "schema.registry." + k,
                    String.valueOf(v));
              }
            });
    s.put("gemini.api.key", apiKey);
    if (baseUrl != null) {
      s.put("gemini.base.url", baseUrl);
    }
    s.put("topic.prefix", topics.prefix());
    s.put("topic.partitions", "3");
    s.put("application.id", topics.prefix() + "processor");
    s.put("state.dir", work.resolve("state").toString());
    s.put("blob.dir", work.resolve("blobs").toString());
    if (imageStore.s3() != null) {
      S3Server s3 = imageStore.s3();
      s.putAll(s3.blobSettings(imageStore.bucket()));
      s.put("blob.s3.prefix", "finished/");
      s.put("blob.s3.presign.ttl", PRESIGN_TTL);
      // Nothing inline: every image goes by reference, as large images do in production.
      s.put("output.inline.max.bytes", "0");
    }
    s.put("http.host", "127.0.0.1");
    s.put("http.port", "0");
    // Short backoffs, so the job that meets a 503 retries within a second.
    s.put("retry.backoff.initial.ms", "300");
    s.put("retry.backoff.max.ms", "3000");
    return s;
  }

  private void printOutcome(String id, Outcomes outcomes) {
    EditResult r = outcomes.results().get(id);
    if (r != null) {
      String what =
          r.getCacheHit()
              ? "cache hit, no model call"
              : r.getAttempts()
                  + (r.getAttempts() == 1 ? " attempt" : " attempts")
                  + ", model "
                  + r.getTimings().getModelMs()
                  + " ms";
      out.printf(
          "  %-5s %-20s %-15s %s, end to end %d ms%n",
          r.getCacheHit() ? "HIT" : "OK", id, r.getSku(), what, r.getTimings().getTotalMs());
      return;
    }
    EditFailure f = outcomes.failures().get(id);
    out.printf("  %-5s %-20s %-15s %s: %s%n", "FAIL", id, f.getSku(), f.getCode(), f.getMessage());
  }

  private static DemoSummary summarize(
      String provider,
      String blobStore,
      List<SampleJob> jobs,
      Outcomes outcomes,
      EmulatorStats stats,
      long startupMs,
      long processingMs,
      long totalMs,
      Path outDir,
      List<String> images,
      Map<String, Integer> imageReads) {
    Map<String, EditResult> results = outcomes.results();
    Map<String, EditFailure> failures = outcomes.failures();
    // Counts, tokens and cost as `editstream listen` reports them (processor estimates where
    // given, else tokens at the CLI's default prices).
    BatchTracker.Summary counted =
        outcomes
            .tracker()
            .summary(
                new Pricing(Pricing.DEFAULT_INPUT_PER_MILLION, Pricing.DEFAULT_OUTPUT_PER_MILLION));
    TreeMap<String, Integer> byCode = new TreeMap<>();
    counted.failures().forEach((code, n) -> byCode.put(code.name(), n));
    List<Long> e2e =
        results.values().stream()
            .map(r -> r.getTimings().getTotalMs())
            .sorted(Comparator.naturalOrder())
            .toList();
    return new DemoSummary(
        provider,
        blobStore,
        jobs.size(),
        counted.ok() + counted.cached(),
        counted.cached(),
        byCode,
        outcomes.deadLetters(),
        jobs.stream()
            .map(SampleJob::jobId)
            .filter(id -> !results.containsKey(id) && !failures.containsKey(id))
            .toList(),
        outcomes.duplicates(),
        stats == null ? -1 : stats.requests(),
        stats == null ? Map.of() : stats.answersByStatus(),
        results.values().stream().mapToLong(EditResult::getAttempts).sum()
            + failures.values().stream().mapToLong(EditFailure::getAttempts).sum(),
        counted.promptTokens(),
        counted.outputTokens(),
        counted.costUsd(),
        startupMs,
        processingMs,
        e2e.isEmpty() ? 0 : e2e.get(e2e.size() / 2),
        e2e.isEmpty() ? 0 : e2e.get(e2e.size() - 1),
        totalMs,
        outDir.toString(),
        outDir.resolve(ReportWriter.REPORT).toString(),
        images,
        imageReads);
  }

  private void step(String message) {
    out.println("==> " + message);
    log.info(message);
  }

  private void done(long startNanos, String what) {
    out.printf("    ready in %.1f s: %s%n", (System.nanoTime() - startNanos) / 1e9, what);
  }

  private void detail(String what) {
    out.println("    " + what);
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.debug("Could not delete {}", root, e);
    }
  }
}
