package io.editstream.bench.quota;

import ch.qos.logback.classic.Level;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditJob;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import io.editstream.serde.AvroSerdes;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Quota utilization benchmark (issue 5 and 17, DESIGN.md §12): an emulator enforcing one quota
 * pool, a saturated backlog, one processor, several processors sharing the pool, and the pool
 * changing hands mid-window (an instance joins, leaves cleanly, or is killed with SIGKILL).
 * Measures the calls the emulator admitted over the measurement window (from the first model call)
 * against the quota, the share of calls answered 429 and the longest time without a call. Prints a
 * table and writes it to {@code --out}.
 *
 * <p>Runs on the test kit's real parts: the in-JVM KRaft broker and an Apicurio registry process
 * (or {@code KAFKA_BOOTSTRAP_SERVERS} / {@code SCHEMA_REGISTRY_URL}); the processors run in this
 * JVM, each with its own state directory, exactly as separate instances of one application; the one
 * killed in the {@code kill} scenario runs in a child JVM of its own.
 */
@Command(
    name = "quota-benchmark",
    mixinStandardHelpOptions = true,
    description =
        "Quota utilization and 429s for 1 and N processors sharing one pool, and for an instance"
            + " joining, leaving or being killed mid-window.")
public final class QuotaBenchmark implements Callable<Integer> {
  static final String MODEL = "gemini-3.1-flash-image-preview";
  static final String APICURIO_HOME = "editstream.apicurio.home";

  @Option(names = "--minutes", description = "Measurement window per scenario (default 3).")
  double minutes = 3;

  @Option(names = "--rpm", description = "Requests per minute of the pool (default 1000).")
  int rpm = 1000;

  @Option(names = "--burst", description = "quota.burst (default 5).")
  int burst = 5;

  @Option(names = "--window-ms", description = "quota.window.ms (default 60500).")
  long windowMs = 60_500;

  @Option(names = "--latency-ms", description = "Emulator mean latency (default 2800).")
  long latencyMs = 2_800;

  @Option(names = "--jobs", description = "Backlog per scenario (default 5000).")
  int jobs = 5_000;

  @Option(names = "--partitions", description = "Partitions of the job topic (default 6).")
  int partitions = 6;

  @Option(
      names = "--instances",
      split = ",",
      description = "Scenarios: processors sharing the pool (default 1,3).")
  List<Integer> instances = List.of(1, 3);

  @Option(
      names = "--moves",
      split = ",",
      description =
          "Scenarios where the pool changes hands at --move-at: join (1 -> 2 instances), leave"
              + " (2 -> 1, clean shutdown), kill (2 -> 1, SIGKILL of a child JVM); default"
              + " join,leave; 'none' for none.")
  List<String> moves = List.of("join", "leave");

  @Option(
      names = "--move-at",
      description = "Seconds after the first model call at which the move happens (default 45).")
  Double moveAtSeconds;

  @Option(
      names = "--quick",
      description = "Smoke run: 1 min per scenario, 1500 jobs, moves at 20 s (numbers are noisy).")
  boolean quick;

  @Option(names = "--out", description = "Markdown report (default docs/benchmarks-quota.md).")
  Path out = Path.of("docs/benchmarks-quota.md");

  @Option(names = "--no-doc", description = "Print only; do not write the report.")
  boolean noDoc;

  /** How the pool's owners change during a scenario. */
  enum Move {
    NONE,
    JOIN,
    LEAVE,
    KILL
  }

  /** One scenario's measurement. */
  record Row(
      String scenario,
      int instances,
      Duration window,
      long calls,
      long rateLimited,
      long admitted,
      double quota,
      long outcomes,
      long peakConcurrent,
      Duration longestGap,
      double loadBefore,
      double loadAfter) {
    double utilization() {
      return admitted / quota;
    }

    double rateLimitedShare() {
      return calls == 0 ? 0 : (double) rateLimited / calls;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new QuotaBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    quietLogs();
    if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
      System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.editstream");
    }
    locateApicurio();
    if (quick) {
      minutes = Math.min(minutes, 1);
      jobs = Math.min(jobs, 1500);
    }
    double moveAt = moveAtSeconds != null ? moveAtSeconds : quick ? 20 : 45;
    List<Move> moveList = new ArrayList<>();
    for (String m : moves) {
      Move move = Move.valueOf(m.trim().toUpperCase(Locale.ROOT));
      if (move != Move.NONE) {
        moveList.add(move);
      }
    }
    KafkaBroker broker = KafkaBroker.shared();
    SchemaRegistry registry = SchemaRegistry.shared();
    Path work = Files.createTempDirectory("editstream-quota-bench-");
    System.out.printf(
        "Quota benchmark: pool %d RPM (burst %d, window %d ms), emulator at %d ms mean latency"
            + " enforcing %d RPM, %d-job backlog, %s min per scenario, %d partitions%n",
        rpm, burst, windowMs, latencyMs, rpm, jobs, fmt(minutes), partitions);
    System.out.printf("broker %s, registry %s%n", broker.description(), registry.description());
    List<Row> rows = new ArrayList<>();
    for (int n : instances) {
      Row row = scenario(broker, registry, work, n, Move.NONE, 0);
      rows.add(row);
      System.out.println(table(List.of(row)));
    }
    for (Move move : moveList) {
      Row row = scenario(broker, registry, work, move == Move.JOIN ? 1 : 2, move, moveAt);
      rows.add(row);
      System.out.println(table(List.of(row)));
    }
    String table = table(rows);
    System.out.println();
    System.out.println(table);
    if (!noDoc) {
      writeReport(table, moveAt);
      System.out.println("Written to " + out.toAbsolutePath());
    }
    return 0;
  }

  private static String label(int n, Move move, double moveAt) {
    String at = fmtSeconds(moveAt);
    return switch (move) {
      case NONE -> n + (n == 1 ? " instance" : " instances");
      case JOIN -> "1, a 2nd joins at " + at;
      case LEAVE -> "2, one leaves at " + at;
      case KILL -> "2, one kill -9 at " + at;
    };
  }

  private Row scenario(
      KafkaBroker broker, SchemaRegistry registry, Path work, int n, Move move, double moveAt)
      throws Exception {
    String label = label(n, move, moveAt);
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    String prefix =
        TestTopics.unique("bench-quota-" + n + "-" + move.name().toLowerCase(Locale.ROOT)) + ".";
    for (String topic : List.of("edit-jobs", "edit-results", "edit-failures", "edit-jobs-dlq")) {
      broker.createTopic(prefix + topic, partitions);
    }
    EmulatorConfig emulatorConfig =
        EmulatorConfig.defaults().withRpm(rpm).withLatencyMeanMs(latencyMs).withSeed(n);
    List<EditstreamProcessor> processors = new ArrayList<>();
    Process child = null;
    try (Emulator emulator = Emulator.start(emulatorConfig)) {
      Map<String, String> settings = settings(broker, registry, prefix, emulator.baseUrl());
      int inJvm = move == Move.KILL ? n - 1 : n;
      for (int i = 0; i < inJvm; i++) {
        processors.add(startProcessor(settings, work, prefix, i));
      }
      if (move == Move.KILL) {
        child = startChild(settings, work, prefix, n - 1);
      }
      awaitStableAssignment(processors, move == Move.KILL);
      produceBacklog(broker, registry, prefix + "edit-jobs");

      // The window starts at the first model call: every pool starts empty (no initial burst).
      EmulatorStats start = emulator.stats();
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (start.requests() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
        start = emulator.stats();
      }
      if (start.requests() == 0) {
        throw new IllegalStateException("no model call within 2 minutes");
      }
      Duration window = Duration.ofMillis(Math.round(minutes * 60_000));
      long begin = System.nanoTime();
      long end = begin + window.toNanos();
      long moveNanos = move == Move.NONE ? Long.MAX_VALUE : begin + Math.round(moveAt * 1e9);
      long nextPrint = begin + 10_000_000_000L;
      // The longest time without a new call at the emulator (sampled every 50 ms).
      long lastCalls = start.requests();
      long lastCallAt = begin;
      long longestGap = 0;
      while (System.nanoTime() < end) {
        Thread.sleep(50);
        long now = System.nanoTime();
        if (now >= moveNanos) {
          moveNanos = Long.MAX_VALUE;
          System.out.printf("  %s: %s now%n", label, move.name().toLowerCase(Locale.ROOT));
          switch (move) {
            case JOIN -> processors.add(startProcessor(settings, work, prefix, n));
            case LEAVE -> processors.remove(processors.size() - 1).close();
            case KILL -> {
              child.destroyForcibly();
              child.waitFor(30, TimeUnit.SECONDS);
            }
            case NONE -> {}
          }
        }
        EmulatorStats stats = emulator.stats();
        if (stats.requests() != lastCalls) {
          lastCalls = stats.requests();
          lastCallAt = System.nanoTime();
        } else {
          longestGap = Math.max(longestGap, System.nanoTime() - lastCallAt);
        }
        if (now >= nextPrint) {
          nextPrint += 10_000_000_000L;
          System.out.printf(
              "  %s: %d calls, %d answered 429, %d in progress%n",
              label,
              stats.requests() - start.requests(),
              stats.rateLimited() - start.rateLimited(),
              stats.currentConcurrent());
        }
      }
      EmulatorStats stop = emulator.stats();
      long calls = stop.requests() - start.requests();
      long limited = stop.rateLimited() - start.rateLimited();
      long outcomes = 0;
      for (EditstreamProcessor p : processors) {
        outcomes +=
            (long)
                p.meters().find("editstream.jobs.outcome").counters().stream()
                    .mapToDouble(c -> c.count())
                    .sum();
      }
      return new Row(
          label,
          n,
          window,
          calls,
          limited,
          calls - limited,
          rpm * window.toMillis() / 60_000.0,
          outcomes,
          stop.peakConcurrent(),
          Duration.ofNanos(longestGap),
          loadBefore,
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    } finally {
      for (EditstreamProcessor p : processors) {
        p.close();
      }
      if (child != null && child.isAlive()) {
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static EditstreamProcessor startProcessor(
      Map<String, String> settings, Path work, String prefix, int i) throws IOException {
    return EditstreamProcessor.start(
        ProcessorConfig.from(Settings.of(own(settings, work, prefix, i))));
  }

  private static Map<String, String> own(
      Map<String, String> settings, Path work, String prefix, int i) {
    Map<String, String> own = new HashMap<>(settings);
    own.put("state.dir", work.resolve(prefix + "state-" + i).toString());
    own.put("blob.dir", work.resolve(prefix + "blobs-" + i).toString());
    return own;
  }

  /**
   * The production main class in a child JVM (so it can be killed with SIGKILL), on this JVM's
   * classpath, with the same settings; its output goes to {@code processor-i.log}.
   */
  private static Process startChild(Map<String, String> settings, Path work, String prefix, int i)
      throws IOException {
    Path config = work.resolve(prefix + "processor-" + i + ".properties");
    Properties props = new Properties();
    props.putAll(own(settings, work, prefix, i));
    try (OutputStream o = Files.newOutputStream(config)) {
      props.store(o, "quota-benchmark child processor");
    }
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-Djava.awt.headless=true",
            "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.editstream",
            "-cp",
            System.getProperty("java.class.path"),
            EditstreamProcessor.class.getName(),
            "--config",
            config.toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve(prefix + "processor-" + i + ".log").toFile());
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("EDITSTREAM_") || k.equals("GEMINI_API_KEY"));
    Process process = pb.start();
    // A benchmark stopped with Ctrl-C must not leave its processor running.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    return process;
  }

  private Map<String, String> settings(
      KafkaBroker broker, SchemaRegistry registry, String prefix, String emulatorUrl) {
    Map<String, String> s = new HashMap<>();
    s.putAll(broker.settings("kafka."));
    s.put("kafka.session.timeout.ms", "6000");
    s.put("kafka.heartbeat.interval.ms", "1000");
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", "bench-key-0123456789");
    s.put("gemini.base.url", emulatorUrl);
    s.put("topic.prefix", prefix);
    s.put("topic.partitions", Integer.toString(partitions));
    s.put("application.id", prefix + "processor");
    s.put("http.port", "-1");
    s.put("stream.threads", "1");
    s.put("quota.rpm", Integer.toString(rpm));
    s.put("quota.burst", Integer.toString(burst));
    s.put("quota.window.ms", Long.toString(windowMs));
    return s;
  }

  /**
   * Every partition owned, by every instance: the shares are final. With {@code childToo} another
   * instance runs in a child JVM whose assignment is not visible here: the instances in this JVM
   * must then own some but not all partitions.
   */
  private void awaitStableAssignment(List<EditstreamProcessor> processors, boolean childToo)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    int stableFor = 0;
    while (System.nanoTime() < deadline) {
      int owned = processors.stream().mapToInt(p -> p.gate().ownedPartitions()).sum();
      boolean everyone = processors.stream().allMatch(p -> p.gate().ownedPartitions() > 0);
      if (childToo) {
        owned = owned > 0 && owned < partitions ? partitions : -1;
      }
      boolean running =
          processors.stream()
              .allMatch(p -> p.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING);
      stableFor = owned == partitions && everyone && running ? stableFor + 1 : 0;
      if (stableFor >= 20) { // 2 s without change: the follow-up rebalances are over
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the processors did not settle on an assignment in 3 min");
  }

  private void produceBacklog(KafkaBroker broker, SchemaRegistry registry, String topic)
      throws IOException {
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    byte[] image = smallPng();
    try (KafkaProducer<String, EditJob> producer =
        new KafkaProducer<>(
            p,
            new StringSerializer(),
            AvroSerdes.valueSerde(EditJob.class, new HashMap<>(registry.clientConfig()))
                .serializer())) {
      for (int i = 0; i < jobs; i++) {
        String id = "job-" + i;
        EditJob job =
            EditJob.newBuilder()
                .setJobId(id)
                .setTenant("bench")
                .setSku("SKU-" + i)
                .setImages(
                    List.of(
                        InputImage.newBuilder()
                            .setMimeType("image/png")
                            .setData(ByteBuffer.wrap(image))
                            .build()))
                // Distinct instructions: no two jobs share a cache entry.
                .setInstruction("remove the background, variant " + i)
                .setOutput(
                    OutputSettings.newBuilder()
                        .setFormat(ImageFormat.PNG)
                        .setSize(ImageSize.SIZE_512)
                        .build())
                .setPriority(Priority.BULK)
                .setSubmittedAt(Instant.now())
                .build();
        producer.send(new ProducerRecord<>(topic, id, job));
      }
      producer.flush();
    }
  }

  static byte[] smallPng() throws IOException {
    BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    var g = img.createGraphics();
    g.setColor(new Color(200, 60, 40));
    g.fillRect(8, 8, 48, 48);
    g.dispose();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, "png", bytes);
    return bytes.toByteArray();
  }

  String table(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    b.append("| instances | window | calls | answered 429 | 429 share | admitted | quota in window")
        .append(
            " | utilization | outcomes | peak concurrent | longest gap | load before → after |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s min | %d | %d | %.2f %% | %d | %.0f | %.1f %% | %d | %d | %.1f s | %.1f → %.1f"
                  + " |%n",
              r.scenario(),
              fmt(r.window().toMillis() / 60_000.0),
              r.calls(),
              r.rateLimited(),
              100 * r.rateLimitedShare(),
              r.admitted(),
              r.quota(),
              100 * r.utilization(),
              r.outcomes(),
              r.peakConcurrent(),
              r.longestGap().toMillis() / 1000.0,
              r.loadBefore(),
              r.loadAfter()));
    }
    return b.toString();
  }

  private void writeReport(String table, double moveAt) throws IOException {
    // Over T from an empty start a pool admits at most burst + (rpm - burst) * T / window.
    double windowMinutes = minutes;
    double ceiling =
        (burst + (rpm - burst) * windowMinutes * 60_000 / windowMs) / (rpm * windowMinutes);
    String command =
        "mvn -B -o -q -DskipTests package && java -jar bench/target/editstream-bench.jar"
            + " quota-benchmark --minutes "
            + fmt(minutes)
            + " --window-ms "
            + windowMs
            + " --instances "
            + String.join(",", instances.stream().map(String::valueOf).toList())
            + " --moves "
            + String.join(",", moves);
    String md =
        "# Quota benchmark\n\n"
            + "Measured "
            + LocalDate.now()
            + " on the build machine (2 cores, shared with other builds), by:\n\n"
            + "```\n"
            + command
            + "\n```\n\n"
            + String.format(
                Locale.ROOT,
                "Emulator at %d ms mean latency enforcing %d RPM on one (API key, model); the"
                    + " processors' pool has `quota.rpm=%d`, `quota.burst=%d`,"
                    + " `quota.window.ms=%d`; a backlog of %d distinct jobs (no dedup) on %d"
                    + " partitions, one stream thread per instance; %s min measured from the first"
                    + " model call; moves at %s after it.%n%n",
                latencyMs,
                rpm,
                rpm,
                burst,
                windowMs,
                jobs,
                partitions,
                fmt(minutes),
                fmtSeconds(moveAt))
            + table
            + "\n"
            + "- *calls*: requests the emulator received in the window; *admitted*: calls minus"
            + " those answered 429; *utilization*: admitted / (rpm × window); *longest gap*: the"
            + " longest time in the window without a new call at the emulator; *load*: the"
            + " machine's 1-minute load average when the scenario started and ended.\n"
            + String.format(
                Locale.ROOT,
                "- Ceiling by design: the pool starts empty and admits at most burst + (rpm −"
                    + " burst) per %.2f s window (QuotaPool's sliding-window proof), i.e. %d + %d ×"
                    + " %s min × 60 s / %.2f s = %.1f %% of the quota in this window; the window's"
                    + " %d ms above 60 s absorb the jitter between admission here and arrival at"
                    + " the server.%n",
                windowMs / 1000.0,
                burst,
                rpm - burst,
                fmt(minutes),
                windowMs / 1000.0,
                100 * ceiling,
                windowMs - 60_000)
            + "- With N instances each owns partitions/N of the pool (its share follows the input"
            + " partitions it owns, changed on every task init/close), so the aggregate has the"
            + " same ceiling; the window starts after the group settled. *join*: a second"
            + " instance (same application id) starts at the move; *leave*: one of two closes"
            + " (clean shutdown, leaves the group); *kill -9*: one of two, in a child JVM, is"
            + " killed with SIGKILL (its partitions move after the session timeout, 6 s).\n"
            + "- *peak concurrent*: most calls in progress at the emulator at once (Little's law:"
            + " 1,000 RPM × 2.8 s ≈ 47).\n"
            + "- Targets (DESIGN.md §12): 1 instance ≥ 99 % and zero 429s; N instances, including"
            + " one joining or leaving mid-window, ≥ 97 % aggregate and zero 429s.\n";
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.writeString(out, md);
  }

  private static String fmtSeconds(double seconds) {
    return seconds == Math.rint(seconds)
        ? (long) seconds + " s"
        : String.format(Locale.ROOT, "%.1f s", seconds);
  }

  private static String fmt(double minutes) {
    return minutes == Math.rint(minutes)
        ? Long.toString((long) minutes)
        : String.format(Locale.ROOT, "%.2f", minutes);
  }

  private static void quietLogs() {
    var root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
  }

  /** The build unpacks Apicurio under the repository's target/infra; find it from here. */
  private static void locateApicurio() {
    if (System.getProperty(APICURIO_HOME) != null || System.getenv(APICURIO_HOME) != null) {
      return;
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path home = dir.resolve("target/infra/apicurio-registry-2.6.13.Final");
      if (Files.isDirectory(home)) {
        System.setProperty(APICURIO_HOME, home.toString());
        return;
      }
      dir = dir.getParent();
    }
  }
}
