package io.editstream.bench.sidebyside;

import static io.editstream.bench.Report.num;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.Percentiles;
import io.editstream.bench.Report;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.schema.EditJob;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue 9's benchmark: Editstream, a naive Kafka Streams {@code mapValues} and Confluent Parallel
 * Consumer with a client-side rate limiter, run side by side, each in its own JVM against its own
 * emulator (same settings: 2.8 s mean latency, 1,000 RPM enforced, same seed) and its own backlog.
 * Each is killed with SIGKILL once mid-window and restarted. Writes a section of docs/benchmarks.md
 * and a PNG chart of model calls per minute over time.
 */
@Command(
    name = "side-by-side",
    mixinStandardHelpOptions = true,
    description =
        "Editstream vs a naive Kafka Streams mapValues vs Parallel Consumer + rate limiter, side by"
            + " side against identical emulators enforcing 1,000 RPM, one kill -9 each.")
public final class SideBySideBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Option(names = "--jobs", description = "Backlog per system (default 5000; --quick 1500).")
  Integer jobs;

  @Option(
      names = "--minutes",
      description =
          "Measured window per system, from its first model call (default 5; --quick 1.5).")
  Double minutes;

  @Option(
      names = "--kill-at",
      defaultValue = "0.4",
      description =
          "When in the window each system is killed (fraction, default ${DEFAULT-VALUE}).")
  double killAt;

  @Option(names = "--rpm", defaultValue = "1000", description = "Quota (default ${DEFAULT-VALUE}).")
  int rpm;

  @Option(
      names = "--latency-ms",
      defaultValue = "2800",
      description = "Emulator mean latency (default ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(
      names = "--chart",
      defaultValue = DEFAULT_CHART,
      description =
          "Chart file (default ${DEFAULT-VALUE}; with --no-doc and no --chart,"
              + " target/side-by-side/benchmarks-side-by-side.png).")
  Path chart;

  @Option(
      names = "--heap",
      defaultValue = "512m",
      description = "-Xmx of each system's JVM (default ${DEFAULT-VALUE}).")
  String heap;

  static final long SEED = 42;
  static final int PARTITIONS = 6;
  static final int PC_CONCURRENCY = 64;
  static final long BUCKET_MS = 10_000;

  /** Each system's logs and stdout, kept after the run (the work directory is deleted). */
  static final Path LOGS = Path.of("target", "side-by-side");

  static final String DEFAULT_CHART = "docs/benchmarks-side-by-side.png";

  @Override
  public Integer call() throws Exception {
    int backlog = jobs != null ? jobs : common.quick ? 1500 : 5000;
    double windowMinutes = minutes != null ? minutes : common.quick ? 1.5 : 5;
    long windowMs = Math.round(windowMinutes * 60_000);
    StringBuilder cmd =
        new StringBuilder("java -jar bench/target/editstream-bench.jar side-by-side");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (jobs != null) {
      cmd.append(" --jobs ").append(jobs);
    }
    if (minutes != null) {
      cmd.append(" --minutes ").append(minutes);
    }
    if (killAt != 0.4) {
      cmd.append(" --kill-at ").append(killAt);
    }
    Report report =
        new Report(
            "side-by-side",
            "Side by side: Editstream vs naive Kafka Streams vs Parallel Consumer (issue 9)",
            cmd.toString());

    BenchEnv env = BenchEnv.start();
    Path work = env.work;
    List<Sut> suts = new ArrayList<>();
    try {
      byte[] image = Images.gradientPng(64, 1);
      EmulatorConfig emulatorConfig =
          EmulatorConfig.defaults().withLatencyMeanMs(latencyMs).withRpm(rpm).withSeed(SEED);
      for (Kind kind : Kind.values()) {
        Sut s = new Sut(kind, env.newPrefix("sbs-" + kind.tag));
        s.emulator = Emulator.start(emulatorConfig);
        s.recorder = CallRecorder.start(s.emulator.baseUrl());
        suts.add(s);
      }
      for (Sut s : suts) {
        env.broker.createTopic(s.in(), PARTITIONS);
        if (s.kind != Kind.EDITSTREAM) {
          env.broker.createTopic(s.out(), PARTITIONS);
        }
        s.config = work.resolve(s.kind.tag + ".properties");
        ChildConfig.write(childSettings(env, s, work), s.config);
        produceBacklog(env, s, backlog, image);
        s.reader = new ResultReader(env, s.prefix + "bench-reader", s.outcomeTopics());
      }
      System.out.printf(
          "Backlogs of %d jobs produced; starting the three systems (window %s min each).%n",
          backlog, num(windowMinutes, 1));

      long t0 = System.currentTimeMillis();
      for (Sut s : suts) {
        s.start(heap);
      }
      runWindows(env, suts, windowMs);
      drain(env, suts, common.quick ? Duration.ofSeconds(90) : Duration.ofMinutes(3));
      for (Sut s : suts) {
        s.child.stop(30);
      }
      long end = System.currentTimeMillis();
      try (Admin admin = Admin.create(env.broker.clientConfig())) {
        for (Sut s : suts) {
          s.finalCommitted = committed(admin, s);
          s.reader.catchUp(Duration.ofSeconds(30));
          s.reader.close();
        }
      }

      describe(report, backlog, windowMinutes, emulatorConfig);
      report.table(header(), suts.stream().map(s -> row(s, windowMs)).toList());
      notes(report, suts, windowMinutes);

      CallRateChart rate =
          new CallRateChart(
              "Model calls per minute ("
                  + BUCKET_MS / 1000
                  + " s buckets), each system against its own emulator enforcing "
                  + rpm
                  + " RPM",
              BUCKET_MS / 1000.0,
              rpm);
      for (Sut s : suts) {
        List<ModelCall> calls = s.recorder.calls();
        rate.line(s.kind.shortLabel, Tally.perMinute(calls, t0, end, BUCKET_MS, false), false);
        s.writeCalls();
      }
      for (Sut s : suts) {
        List<ModelCall> calls = s.recorder.calls();
        if (calls.stream().anyMatch(ModelCall::rateLimited)) {
          rate.line(
              s.kind.shortLabel + ": 429s", Tally.perMinute(calls, t0, end, BUCKET_MS, true), true);
        }
      }
      for (Sut s : suts) {
        if (s.killedAt > 0) {
          rate.marker("kill -9 " + s.kind.shortLabel, (s.killedAt - t0) / 60_000.0);
        }
      }
      // --no-doc leaves docs/ alone: the default chart goes beside the logs instead.
      Path out =
          common.noDoc && chart.equals(Path.of(DEFAULT_CHART))
              ? LOGS.resolve(chart.getFileName())
              : chart;
      java.nio.file.Files.createDirectories(out.toAbsolutePath().getParent());
      rate.writePng(out);
      System.out.println("Wrote the chart " + out.toAbsolutePath());
    } finally {
      for (Sut s : suts) {
        s.close();
      }
      env.deleteWork();
    }
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
      System.out.println("Wrote the section 'side-by-side' of " + common.doc.toAbsolutePath());
    }
    return 0;
  }

  /** The three systems compared. */
  enum Kind {
    EDITSTREAM("es", "Editstream", "Editstream", EditstreamChild.class),
    NAIVE("naive", "naive Kafka Streams mapValues", "naive mapValues", NaiveChild.class),
    PARALLEL_CONSUMER(
        "pc", "Parallel Consumer + RateLimiter", "Parallel Consumer", ParallelConsumerChild.class);

    final String tag;
    final String label;
    final String shortLabel;
    final Class<?> main;

    Kind(String tag, String label, String shortLabel, Class<?> main) {
      this.tag = tag;
      this.label = label;
      this.shortLabel = shortLabel;
      this.main = main;
    }
  }

  /** One system under test: its emulator, recorder, topics, child JVM and what was measured. */
  static final class Sut implements AutoCloseable {
    final Kind kind;
    final String prefix;
    Emulator emulator;
    CallRecorder recorder;
    Path config;
    ResultReader reader;
    ChildJvm child;
    int incarnation;
    final List<long[]> heapPeaks = new ArrayList<>();
    final Map<String, Tally.Position> positions = new ConcurrentHashMap<>();
    final Map<String, Long> submitted = new ConcurrentHashMap<>();
    long firstCall = -1;
    long killedAt = -1;
    long firstCallAfterRestart = -1;
    long consumedAtKill = -1;
    Map<Integer, Long> finalCommitted = Map.of();

    Sut(Kind kind, String prefix) {
      this.kind = kind;
      this.prefix = prefix;
    }

    String in() {
      return prefix + "edit-jobs";
    }

    String out() {
      return prefix + "results";
    }

    String groupId() {
      return kind == Kind.EDITSTREAM ? prefix + "processor" : prefix + kind.tag;
    }

    List<String> outcomeTopics() {
      return kind == Kind.EDITSTREAM
          ? List.of(prefix + "edit-results", prefix + "edit-failures")
          : List.of(out());
    }

    void start(String heap) throws java.io.IOException {
      List<String> args =
          kind == Kind.EDITSTREAM
              ? List.of("--config", config.toString())
              : List.of(config.toString());
      child =
          ChildJvm.start(
              kind.main.getName(),
              args,
              LOGS.resolve(prefix.substring(0, prefix.length() - 1)),
              kind.tag + "-" + incarnation++,
              heap);
    }

    void kill() throws InterruptedException {
      child.kill();
      heapPeaks.add(child.heapPeaks());
    }

    /** Every recorded call as CSV beside the system's logs, for a look at the seconds. */
    void writeCalls() throws java.io.IOException {
      Path dir = LOGS.resolve(prefix.substring(0, prefix.length() - 1));
      java.nio.file.Files.createDirectories(dir);
      StringBuilder csv = new StringBuilder("ms_since_first_call,status,job\n");
      recorder.calls().stream()
          .sorted(java.util.Comparator.comparingLong(ModelCall::atMillis))
          .forEach(
              c ->
                  csv.append(c.atMillis() - firstCall)
                      .append(',')
                      .append(c.status())
                      .append(',')
                      .append(c.jobId())
                      .append('\n'));
      csv.append("# killed at ms ").append(killedAt - firstCall).append('\n');
      java.nio.file.Files.writeString(dir.resolve("calls.csv"), csv);
    }

    long[] heapPeak() {
      long[] peak = {0, 0};
      List<long[]> all = new ArrayList<>(heapPeaks);
      if (child != null) {
        all.add(child.heapPeaks());
      }
      for (long[] p : all) {
        peak[0] = Math.max(peak[0], p[0]);
        peak[1] = Math.max(peak[1], p[1]);
      }
      return peak;
    }

    @Override
    public void close() {
      try {
        if (child != null && child.isAlive()) {
          child.kill();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (reader != null) {
        reader.close();
      }
      if (recorder != null) {
        recorder.close();
      }
      if (emulator != null) {
        emulator.close();
      }
    }
  }

  private Map<String, String> childSettings(BenchEnv env, Sut s, Path work) {
    Map<String, String> m = new HashMap<>();
    if (s.kind == Kind.EDITSTREAM) {
      m.putAll(env.processorSettings(s.prefix, s.recorder.baseUrl()));
      m.put("stream.threads", "1");
      m.put("topic.partitions", String.valueOf(PARTITIONS));
      // As in the quota benchmark: the pool is the quota, with a 0.5 s margin on the window.
      m.put("quota.rpm", String.valueOf(rpm));
      m.put("quota.burst", "5");
      m.put("quota.window.ms", "60500");
      m.put("state.dir", work.resolve("es-state").toString());
      m.put("blob.dir", work.resolve("es-blobs").toString());
      return m;
    }
    env.broker.clientConfig().forEach((k, v) -> m.put("kafka." + k, String.valueOf(v)));
    env.registry.clientConfig().forEach((k, v) -> m.put("registry." + k, String.valueOf(v)));
    m.put("api.key", BenchEnv.API_KEY);
    m.put("model.base.url", s.recorder.baseUrl());
    m.put("topic.in", s.in());
    m.put("topic.out", s.out());
    m.put("group.id", s.groupId());
    m.put("state.dir", work.resolve(s.kind.tag + "-state").toString());
    m.put("rpm", String.valueOf(rpm));
    m.put("concurrency", String.valueOf(PC_CONCURRENCY));
    return m;
  }

  private static void produceBacklog(BenchEnv env, Sut s, int backlog, byte[] image)
      throws InterruptedException {
    try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
      for (int i = 0; i < backlog; i++) {
        String id = "sbs-" + s.kind.tag + "-" + i;
        EditJob job =
            BenchEnv.job(
                id, "bench", "remove the background, add a soft shadow [job " + id + "]", image);
        s.submitted.put(id, System.currentTimeMillis());
        producer.send(
            new ProducerRecord<>(s.in(), id, job),
            (RecordMetadata md, Exception e) -> {
              if (e == null) {
                s.positions.put(id, new Tally.Position(md.partition(), md.offset()));
              }
            });
      }
      producer.flush();
    }
    if (s.positions.size() != backlog) {
      throw new IllegalStateException(
          "only " + s.positions.size() + " of " + backlog + " jobs were written for " + s.kind);
    }
  }

  /** Until every system's window is over: note first calls, kill and restart each once. */
  private void runWindows(BenchEnv env, List<Sut> suts, long windowMs) throws Exception {
    long started = System.currentTimeMillis();
    long nextPrint = started + 10_000;
    while (true) {
      long now = System.currentTimeMillis();
      boolean allDone = true;
      for (Sut s : suts) {
        if (s.firstCall < 0) {
          s.firstCall = s.recorder.firstCallMillis();
          if (s.firstCall < 0 && now - started > 180_000) {
            throw new IllegalStateException(
                s.kind.label
                    + " made no model call in 3 minutes; its output:\n"
                    + s.child.outputTail());
          }
        }
        if (!s.child.isAlive()) {
          throw new IllegalStateException(
              s.kind.label + " exited on its own; its output:\n" + s.child.outputTail());
        }
        if (s.firstCall >= 0 && s.killedAt < 0 && now >= s.firstCall + killAt * windowMs) {
          s.kill();
          s.killedAt = System.currentTimeMillis();
          try (Admin admin = Admin.create(env.broker.clientConfig())) {
            s.consumedAtKill = Tally.consumed(s.positions, committed(admin, s));
          }
          System.out.printf(
              "  killed %s (SIGKILL) at %s s of its window; restarting%n",
              s.kind.label, num((s.killedAt - s.firstCall) / 1000.0, 0));
          s.start(heap);
        }
        if (s.killedAt > 0 && s.firstCallAfterRestart < 0) {
          s.firstCallAfterRestart =
              s.recorder.calls().stream()
                  .mapToLong(ModelCall::atMillis)
                  .filter(t -> t > s.killedAt)
                  .min()
                  .orElse(-1);
        }
        allDone &= s.firstCall >= 0 && now >= s.firstCall + windowMs;
      }
      if (allDone) {
        return;
      }
      if (now >= nextPrint) {
        nextPrint += 10_000;
        StringBuilder line = new StringBuilder("  ");
        for (Sut s : suts) {
          List<ModelCall> calls = s.recorder.calls();
          line.append(
              String.format(
                  Locale.ROOT,
                  "%s: %d calls (%d x 429), %d results; ",
                  s.kind.tag,
                  calls.size(),
                  calls.stream().filter(ModelCall::rateLimited).count(),
                  s.reader.jobsWithOutcome()));
        }
        System.out.println(line.toString().trim());
      }
      Thread.sleep(200);
    }
  }

  /**
   * After the windows: keep every system running until each job it has consumed (below its
   * committed offsets) has an outcome, or {@code max} passes. Editstream accepts its whole backlog
   * into a durable pending store at once, so its committed offsets run far ahead of its results.
   */
  private static void drain(BenchEnv env, List<Sut> suts, Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    try (Admin admin = Admin.create(env.broker.clientConfig())) {
      List<Sut> waiting = new ArrayList<>(suts);
      while (!waiting.isEmpty() && System.nanoTime() < deadline) {
        for (var it = waiting.iterator(); it.hasNext(); ) {
          Sut s = it.next();
          List<String> open =
              Tally.lost(s.positions, committed(admin, s), s.reader.jobsWithOutcomeIds());
          if (open.isEmpty()) {
            it.remove();
          }
        }
        if (!waiting.isEmpty()) {
          Thread.sleep(1000);
        }
      }
      for (Sut s : waiting) {
        System.out.println(
            "  "
                + s.kind.label
                + ": consumed jobs still without an outcome after the drain ("
                + max.toSeconds()
                + " s)");
      }
    }
  }

  static Map<Integer, Long> committed(Admin admin, Sut s) throws Exception {
    Map<Integer, Long> out = new HashMap<>();
    admin
        .listConsumerGroupOffsets(s.groupId())
        .partitionsToOffsetAndMetadata()
        .get()
        .forEach(
            (tp, om) -> {
              if (tp.topic().equals(s.in()) && om != null) {
                out.put(tp.partition(), om.offset());
              }
            });
    return out;
  }

  private void describe(Report report, int backlog, double windowMinutes, EmulatorConfig e) {
    report.fact(
        "Each system gets its own emulator with identical settings: mean latency "
            + e.latencyMeanMs()
            + " ms (log-normal, sigma "
            + e.latencySigma()
            + "), "
            + e.rpm()
            + " RPM enforced per (key, model) over a sliding 60 s window, seed "
            + e.seed()
            + ", no faults; and its own backlog of "
            + backlog
            + " distinct jobs (64x64 PNG inline, 512 px PNG output, unique instruction each) on "
            + PARTITIONS
            + " partitions, produced before the systems start. The three run at the same time,"
            + " each in its own JVM (-Xmx"
            + heap
            + "), on one machine.");
    report.fact(
        "Measured window: "
            + num(windowMinutes, 1)
            + " min per system, from its first model call. At "
            + Math.round(killAt * 100)
            + " % of the window the system's JVM is killed with SIGKILL and started again at once."
            + " After the window each system runs on until every job it has consumed has an"
            + " outcome (at most 3 min), then stops with SIGTERM.");
    report.fact(
        "Editstream: the production processor (`EditstreamProcessor`), 1 stream thread,"
            + " exactly_once_v2, model.max.in.flight=64, quota.rpm="
            + rpm
            + ", quota.burst=5, quota.window.ms=60500. Naive: Kafka Streams `mapValues` calling"
            + " the google-genai SDK synchronously, 1 stream thread, exactly_once_v2. Parallel"
            + " Consumer 0.5.3.2: UNORDERED, maxConcurrency="
            + PC_CONCURRENCY
            + ", PERIODIC_CONSUMER_ASYNCHRONOUS commits, Guava `RateLimiter` at "
            + rpm
            + "/min before each synchronous SDK call, `pollAndProduce` one result per job; 429,"
            + " 5xx and timeouts throw so Parallel Consumer retries the record (backoff 1 s"
            + " doubling to 30 s). It runs on the project's kafka-clients 4.3.1 with one"
            + " setting: `ignoreReflectiveAccessExceptionsForAutoCommitDisabledCheck(true)`"
            + " (0.5.3.2 checks `enable.auto.commit` by reading a private field that 4.x moved;"
            + " the setting is false).");
    report.fact(
        "Every model call passes a recording pass-through in front of its emulator, which notes"
            + " the time, the job (a `[job ID]` marker in the instruction) and the answer's status:"
            + " the calls columns come from there, not from the systems.");
  }

  private static List<String> header() {
    return List.of(
        "system",
        "calls/min (window)",
        "% of quota",
        "429s (window)",
        "duplicate calls",
        "jobs done in window",
        "end-to-end p50 / p99 (s)",
        "heap peak used / live (MiB)",
        "jobs lost after the kill",
        "duplicate results");
  }

  private List<String> row(Sut s, long windowMs) {
    List<ModelCall> calls = s.recorder.calls();
    long to = s.firstCall + windowMs;
    Tally.WindowCalls w = Tally.window(calls, s.firstCall, to);
    double perMinute = w.admitted() / (windowMs / 60_000.0);
    List<Double> e2e = new ArrayList<>();
    s.reader
        .firstSeen()
        .forEach(
            (id, seen) -> {
              Long sent = s.submitted.get(id);
              if (sent != null && seen < to) {
                e2e.add((seen - sent) / 1000.0);
              }
            });
    Percentiles p = Percentiles.of(e2e.stream().mapToDouble(d -> d).toArray());
    long[] heapPeak = s.heapPeak();
    List<String> lost = Tally.lost(s.positions, s.finalCommitted, s.reader.jobsWithOutcomeIds());
    return List.of(
        s.kind.label,
        num(perMinute, 0),
        num(perMinute / rpm * 100, 1) + " %",
        String.valueOf(w.rateLimited()),
        String.valueOf(Tally.duplicateCalls(calls)),
        String.valueOf(p.count()),
        p.count() == 0 ? "-" : num(p.at(50), 0) + " / " + num(p.at(99), 0),
        (heapPeak[0] >> 20) + " / " + (heapPeak[1] >> 20),
        lost.size() + " of " + Tally.consumed(s.positions, s.finalCommitted) + " consumed",
        String.valueOf(s.reader.duplicateOutcomes()));
  }

  private void notes(Report report, List<Sut> suts, double windowMinutes) {
    report.note(
        "*calls/min*: calls the emulator worked on (not answered 429) in the window, per minute;"
            + " *% of quota*: that over "
            + rpm
            + " RPM. The kill and restart fall inside the window, so their cost is included.");
    report.note(
        "*duplicate calls*: calls beyond the first for the same job (429s excluded), over the"
            + " whole run: the model work paid for twice, mostly calls in flight at the kill.");
    report.note(
        "*end-to-end*: job produced -> its first outcome record seen by a read_committed consumer,"
            + " for the jobs done in the window. The whole backlog is produced before the systems"
            + " start, so this is mostly time waiting in the backlog: it shows how fast a system"
            + " works through a backlog, and counts only the jobs it finished.");
    report.note(
        "*jobs lost after the kill*: jobs below the group's committed input offsets at the end"
            + " that never got an outcome record; *duplicate results*: outcome records beyond the"
            + " first per job (read_committed).");
    report.note(
        "*heap peak*: sampled every 0.5 s in each system's JVM (both incarnations); *used*"
            + " includes garbage not yet collected, *live* is what the last GC left. Editstream's"
            + " includes its in-memory dedup cache of results (bounded by cache.max.bytes, by"
            + " default 1/8 of the heap, at most 256 MiB), which fills with the unique results of the run.");
    StringBuilder kill = new StringBuilder("The kill: ");
    for (Sut s : suts) {
      kill.append(s.kind.label)
          .append(" killed at ")
          .append(num((s.killedAt - s.firstCall) / 1000.0, 0))
          .append(" s with ")
          .append(s.consumedAtKill)
          .append(" jobs consumed (committed offsets), first model call again ")
          .append(
              s.firstCallAfterRestart < 0
                  ? "never"
                  : num((s.firstCallAfterRestart - s.killedAt) / 1000.0, 1) + " s later")
          .append("; ");
    }
    report.note(kill.substring(0, kill.length() - 2) + ".");
    StringBuilder other = new StringBuilder("Over the whole run (window and drain): ");
    for (Sut s : suts) {
      List<ModelCall> calls = s.recorder.calls();
      other
          .append(s.kind.label)
          .append(" ")
          .append(calls.size())
          .append(" calls, ")
          .append(calls.stream().filter(ModelCall::rateLimited).count())
          .append(" answered 429, ")
          .append(Tally.jobsCalledTwice(calls))
          .append(" jobs called more than once, ")
          .append(s.reader.failures())
          .append(" failure outcomes; ");
    }
    report.note(other.substring(0, other.length() - 2) + ".");
    report.note(
        "Window: "
            + num(windowMinutes, 1)
            + " min. At "
            + rpm
            + " RPM the backlog lasts about as long as the window, so a system working at the"
            + " quota stays saturated; the naive design (one call at a time, ~21/min) can never"
            + " finish it, which is why the run is a fixed window and not a drain.");
    report.note(
        "Logs of each system's JVMs (NAME-0 before the kill, NAME-1 after): `"
            + LOGS
            + "/<topic prefix>/`.");
    report.note(
        "Chart: ![model calls per minute over time](benchmarks-side-by-side.png)"
            + " ([benchmarks-side-by-side.png](benchmarks-side-by-side.png)), "
            + BUCKET_MS / 1000
            + " s buckets scaled to a minute, from the start of the three JVMs.");
  }
}
