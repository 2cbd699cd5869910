package io.editstream.bench.throughput;

import static io.editstream.bench.Report.num;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.OutcomeReader;
import io.editstream.bench.Percentiles;
import io.editstream.bench.Report;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditJob;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Issue 4's benchmark: one processor instance with one stream thread drains a backlog of unique
 * jobs against the emulator at 2.8 s mean latency and no quota; then a paced phase at 1,000 jobs a
 * minute measures the processor's overhead (end-to-end minus model time) without a backlog; then
 * the naive design (a synchronous model call in {@code mapValues}) runs for comparison.
 */
@Command(
    name = "throughput",
    mixinStandardHelpOptions = true,
    description =
        "Jobs/minute of one instance (1 stream thread) on a backlog at 2.8 s model latency, the"
            + " processor's overhead at 1,000 jobs/minute, and the naive synchronous design.")
public final class ThroughputBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Spec CommandSpec spec;

  @Option(names = "--jobs", description = "Backlog size (default 2000; --quick 500).")
  Integer jobs;

  @Option(
      names = "--latency-ms",
      defaultValue = "2800",
      description = "Emulator mean latency (default ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(
      names = "--emulator-url",
      description =
          "Call an emulator already running at this http(s) URL, in its own JVM (e.g. java -jar"
              + " emulator/target/editstream-emulator.jar --port 8089), instead of one inside the"
              + " benchmark's JVM; --latency-ms is then the emulator's own --latency-mean-ms, and"
              + " the emulator's counters are not reported.")
  String emulatorUrl;

  @Option(
      names = "--cheap-render",
      description =
          "The in-JVM emulator renders each input once and puts the instruction into the answer"
              + " PNG's text chunk instead of drawing it (EmulatorConfig#cheapRender): same answer"
              + " sizes, a fraction of the model stand-in's CPU on the cores it shares with the"
              + " processor. With --emulator-url, start that emulator with --cheap-render instead.")
  boolean cheapRender;

  @Option(
      names = "--in-flight",
      description = "model.max.in.flight for the processor (default: the processor's default).")
  Integer inFlight;

  @Option(
      names = "--paced-seconds",
      description = "Length of the paced phase (default 60; --quick 20; 0 skips it).")
  Integer pacedSeconds;

  @Option(
      names = "--paced-rpm",
      defaultValue = "1000",
      description = "Job rate of the paced phase, per minute (default ${DEFAULT-VALUE}).")
  int pacedRpm;

  @Option(
      names = "--naive-seconds",
      description = "Length of the naive synchronous run (default 60; --quick 20; 0 skips it).")
  Integer naiveSeconds;

  @Option(
      names = "--set",
      description = "Extra processor setting, e.g. --set kafka.commit.interval.ms=20 (repeatable).")
  Map<String, String> extra = new java.util.LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    int backlog = jobs != null ? jobs : common.quick ? 500 : 2000;
    int paced = pacedSeconds != null ? pacedSeconds : common.quick ? 20 : 60;
    int naive = naiveSeconds != null ? naiveSeconds : common.quick ? 20 : 60;
    StringBuilder cmd = new StringBuilder("java -jar bench/target/editstream-bench.jar throughput");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (jobs != null) {
      cmd.append(" --jobs ").append(jobs);
    }
    if (latencyMs != 2800) {
      cmd.append(" --latency-ms ").append(latencyMs);
    }
    if (emulatorUrl != null) {
      try {
        emulatorUrl = externalEmulatorUrl(emulatorUrl);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      cmd.append(" --emulator-url ").append(emulatorUrl);
      if (cheapRender) {
        throw new ParameterException(
            spec.commandLine(),
            "--cheap-render applies to the emulator in this JVM; with --emulator-url, start that"
                + " emulator with --cheap-render");
      }
    }
    if (cheapRender) {
      cmd.append(" --cheap-render");
    }
    if (inFlight != null) {
      cmd.append(" --in-flight ").append(inFlight);
    }
    if (pacedSeconds != null) {
      cmd.append(" --paced-seconds ").append(pacedSeconds);
    }
    if (naiveSeconds != null) {
      cmd.append(" --naive-seconds ").append(naiveSeconds);
    }
    extra.forEach((k, v) -> cmd.append(" --set ").append(k).append('=').append(v));
    Report report =
        new Report(
            "throughput",
            "Throughput: one instance, one stream thread, 2.8 s model latency (issue 4)",
            cmd.toString());

    BenchEnv env = BenchEnv.start();
    // null when the emulator runs in its own JVM (--emulator-url): try-with-resources skips it.
    try (Emulator emulator =
        emulatorUrl != null
            ? null
            : Emulator.start(
                EmulatorConfig.defaults()
                    .withLatencyMeanMs(latencyMs)
                    .withSeed(42)
                    .withCheapRender(cheapRender))) {
      String modelUrl = emulator != null ? emulator.baseUrl() : emulatorUrl;
      String prefix = env.newPrefix("tp");
      Map<String, String> settings = env.processorSettings(prefix, modelUrl);
      settings.put("stream.threads", "1");
      if (inFlight != null) {
        settings.put("model.max.in.flight", String.valueOf(inFlight));
      }
      settings.putAll(extra);
      ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
      byte[] image = Images.noisePng(10_000, 1);
      report.fact(
          "Workload: "
              + backlog
              + " distinct jobs (one "
              + image.length / 1024
              + " KB inline PNG, 512 px PNG output, unique instruction each) produced before the"
              + " processor starts; "
              + (emulator != null
                  ? "emulator in this JVM"
                      + (cheapRender
                          ? " (cheap render: one drawing per input, instruction in a PNG text"
                              + " chunk)"
                          : "")
                      + ", mean latency "
                      + latencyMs
                      + " ms"
                  : "emulator in its own JVM at " + emulatorUrl + ", its own mean latency")
              + " (log-normal, sigma 0.25), no quota, no faults.");
      report.fact(
          "Processor: 1 instance, stream.threads=1, model.max.in.flight="
              + config.model().maxInFlight()
              + ", "
              + config.topics().partitions()
              + " partitions, exactly_once_v2, commit.interval.ms=100"
              + (extra.isEmpty() ? "" : ", " + extra)
              + " (defaults otherwise).");

      env.broker.createTopic(config.topics().jobs(), config.topics().partitions());
      try (KafkaProducer<String, EditJob> producer = env.jobProducer();
          OutcomeReader reader = new OutcomeReader(env, prefix)) {
        for (int i = 0; i < backlog; i++) {
          String id = "tp-" + i;
          producer.send(
              new ProducerRecord<>(
                  config.topics().jobs(),
                  id,
                  BenchEnv.job(id, "bench", "remove the background, backlog job " + i, image)));
        }
        producer.flush();
        if (emulator != null) {
          emulator.resetStats();
        }

        AtomicReference<TimedModelClient> model = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (EditstreamProcessor processor =
            EditstreamProcessor.start(
                config,
                c -> {
                  model.set(new TimedModelClient(TimedModelClient.gemini(c)));
                  return model.get();
                },
                Clock.systemUTC())) {
          boolean done =
              reader.readUntil(
                  () -> reader.count() >= backlog,
                  Duration.ofMillis(Math.max(600_000, backlog * latencyMs)));
          if (!done) {
            report.note("TIMED OUT: only " + reader.count() + " of " + backlog + " outcomes seen.");
          }
          backlogRows(report, reader, model.get(), processor, emulator, t0, backlog);

          if (paced > 0) {
            pacedRows(report, env, config, reader, model.get(), paced, pacedRpm);
          }
        }
      }
      if (naive > 0) {
        NaiveSyncBench.Result r = NaiveSyncBench.run(env, modelUrl, Duration.ofSeconds(naive));
        report.row(
            "naive design: jobs/minute",
            num(r.jobsPerMinute(), 1),
            "~21 expected (60 s / 2.8 s): "
                + r.outcomes()
                + " outcomes in "
                + naive
                + " s after the first, one synchronous call per stream thread");
        report.note(
            "Naive design = a Kafka Streams `mapValues` that calls the same `GeminiModelClient`"
                + " synchronously (`generate(..).get()`), one stream thread, exactly_once_v2, same"
                + " emulator.");
      }
    } finally {
      env.deleteWork();
    }
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
      System.out.println("Wrote the section 'throughput' of " + common.doc.toAbsolutePath());
    }
    return 0;
  }

  /**
   * {@code raw} as the base URL of an emulator in another JVM (no trailing slash).
   *
   * @throws IllegalArgumentException naming {@code --emulator-url} when it is not an http(s) URL
   *     with a host
   */
  static String externalEmulatorUrl(String raw) {
    String url = raw.trim();
    if (!Settings.isHttpUrlWithHost(url)) {
      throw new IllegalArgumentException(
          "--emulator-url: '"
              + Settings.withoutUserInfo(raw)
              + "' is not an http(s) URL with a host, e.g. http://127.0.0.1:8089 (start one with"
              + " java -jar emulator/target/editstream-emulator.jar --port 8089)");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static void backlogRows(
      Report report,
      OutcomeReader reader,
      TimedModelClient model,
      EditstreamProcessor processor,
      Emulator emulator,
      long t0,
      int backlog) {
    List<Long> seen = new ArrayList<>();
    List<Double> postModel = new ArrayList<>();
    List<Double> modelMs = new ArrayList<>();
    int failures = 0;
    for (var e : reader.seen().entrySet()) {
      OutcomeReader.Seen s = e.getValue();
      seen.add(s.seenNanos());
      if (!s.ok()) {
        failures++;
        continue;
      }
      int i = Integer.parseInt(e.getKey().substring("tp-".length()));
      TimedModelClient.Call call = model.call("remove the background, backlog job " + i);
      if (call != null) {
        modelMs.add((double) call.millis());
        postModel.add((s.seenNanos() - call.endNanos()) / 1e6);
      }
    }
    seen.sort(null);
    int n = seen.size();
    double total = (seen.get(n - 1) - t0) / 1e9;
    int lo = (int) (n * 0.1);
    int hi = Math.max(lo + 1, (int) (n * 0.9) - 1);
    double steady = (hi - lo) / ((seen.get(hi) - seen.get(lo)) / 1e9) * 60;
    Percentiles post = Percentiles.of(postModel.stream().mapToDouble(d -> d).toArray());
    Percentiles model_ = Percentiles.of(modelMs.stream().mapToDouble(d -> d).toArray());
    report.row(
        "backlog: jobs/minute, steady state (10%..90% of outcomes)",
        num(steady, 0), "target >= 1,000");
    report.row(
        "backlog: jobs/minute, whole run (processor start to last outcome)",
        num(n / total * 60, 0),
        n + " outcomes in " + num(total, 1) + " s, incl. start-up");
    report.row("backlog: failures", String.valueOf(failures), "0 expected (no faults injected)");
    report.row(
        "backlog: duplicate outcomes", String.valueOf(reader.duplicates()), "0 expected (EOS)");
    report.row(
        "in-flight peak (processor / emulator)",
        processor.inFlight().peak()
            + " / "
            + (emulator != null ? emulator.stats().peakConcurrent() : "n/a"),
        "bound model.max.in.flight=" + processor.inFlight().max() + "; ~47 needed for 1,000/min");
    if (emulator != null) {
      report.row(
          "model calls (emulator)",
          String.valueOf(emulator.stats().requests()),
          "= jobs: no dedup hits, no retries");
    }
    report.row(
        "model time p50 / p99 (ms)",
        num(model_.at(50), 0) + " / " + num(model_.at(99), 0),
        "as the processor's client saw it");
    report.row(
        "backlog: after-model overhead p50 / p99 (ms)",
        num(post.at(50), 0) + " / " + num(post.at(99), 0),
        "model answer -> result visible to a read_committed consumer (saturated)");
    report.note(
        "With a backlog, end-to-end time is dominated by waiting in the backlog (Little's law), so"
            + " the backlog phase reports only the part after the model answered; the paced phase"
            + " measures the whole end-to-end overhead.");
  }

  private static void pacedRows(
      Report report,
      BenchEnv env,
      ProcessorConfig config,
      OutcomeReader reader,
      TimedModelClient model,
      int seconds,
      int rpm)
      throws InterruptedException {
    long periodMicros = 60_000_000L / rpm;
    int count = (int) ((long) seconds * 1_000_000 / periodMicros);
    Map<String, Long> sent = new ConcurrentHashMap<>();
    byte[] image = Images.noisePng(10_000, 2);
    AtomicInteger next = new AtomicInteger();
    ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
    java.util.concurrent.CountDownLatch allSent = new java.util.concurrent.CountDownLatch(1);
    try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
      pacer.scheduleAtFixedRate(
          () -> {
            int i = next.getAndIncrement();
            if (i >= count) {
              allSent.countDown();
              return;
            }
            String id = "paced-" + i;
            EditJob job = BenchEnv.job(id, "bench", "add a drop shadow, paced job " + i, image);
            sent.put(id, System.nanoTime());
            // Even jobs keyed by jobId (as editstream submit sends them: no repartition hop),
            // odd ones by SKU (over the hop): both paths measured side by side, same run.
            String key = i % 2 == 0 ? id : "SKU-" + i;
            producer.send(new ProducerRecord<>(config.topics().jobs(), key, job));
          },
          0,
          periodMicros,
          TimeUnit.MICROSECONDS);
      reader.readUntil(
          () -> allSent.getCount() == 0 && countPaced(reader) >= count,
          Duration.ofSeconds(seconds + 120L));
    } finally {
      pacer.shutdownNow();
    }
    report.fact(
        "Paced phase (same processor, after the backlog): "
            + count
            + " jobs at "
            + rpm
            + " jobs/minute for "
            + seconds
            + " s; end-to-end = producer send -> result visible to a read_committed consumer."
            + " Even jobs are keyed by jobId (no repartition hop, jobs.direct.when.keyed.by.jobid),"
            + " odd ones by SKU (over the hop), interleaved.");
    pacedPath(report, reader, sent, model, count, rpm, 0, "keyed by jobId, no hop");
    pacedPath(report, reader, sent, model, count, rpm, 1, "keyed by SKU, over the hop");
  }

  /** The rows of the paced jobs with {@code i % 2 == parity}. */
  private static void pacedPath(
      Report report,
      OutcomeReader reader,
      Map<String, Long> sent,
      TimedModelClient model,
      int count,
      int rpm,
      int parity,
      String path) {
    List<Double> overhead = new ArrayList<>();
    List<Double> pre = new ArrayList<>();
    List<Double> post = new ArrayList<>();
    int failures = 0;
    for (int i = parity; i < count; i += 2) {
      OutcomeReader.Seen s = reader.seen().get("paced-" + i);
      Long t = sent.get("paced-" + i);
      TimedModelClient.Call call = model.call("add a drop shadow, paced job " + i);
      if (s == null || t == null || call == null || !s.ok()) {
        failures++;
        continue;
      }
      double e2e = (s.seenNanos() - t) / 1e6;
      double modelTime = (call.endNanos() - call.startNanos()) / 1e6;
      overhead.add(e2e - modelTime);
      pre.add((call.startNanos() - t) / 1e6);
      post.add((s.seenNanos() - call.endNanos()) / 1e6);
    }
    Percentiles o = Percentiles.of(overhead.stream().mapToDouble(d -> d).toArray());
    Percentiles a = Percentiles.of(pre.stream().mapToDouble(d -> d).toArray());
    Percentiles b = Percentiles.of(post.stream().mapToDouble(d -> d).toArray());
    report.row(
        "paced "
            + rpm
            + "/min, "
            + path
            + ": overhead = end-to-end - model time, p50 / p99 / max"
            + " (ms)",
        num(o.at(50), 0) + " / " + num(o.at(99), 0) + " / " + num(o.max(), 0),
        "DESIGN §12 target p99 < 50 ms; issue 17: < 100 ms");
    report.row(
        "paced, " + path + ": send -> model call starts, p50 / p99 (ms)",
        num(a.at(50), 0) + " / " + num(a.at(99), 0),
        parity == 0
            ? "input topic, pending store, dispatch"
            : "input topic, repartition hop, pending store, dispatch");
    report.row(
        "paced, " + path + ": model answer -> result visible, p50 / p99 (ms)",
        num(b.at(50), 0) + " / " + num(b.at(99), 0),
        "encode, blob write, hand-back, transaction commit");
    report.row(
        "paced, " + path + ": jobs without a result",
        String.valueOf(failures),
        "0 expected; " + o.count() + " measured");
  }

  private static long countPaced(OutcomeReader reader) {
    return reader.seen().keySet().stream().filter(k -> k.startsWith("paced-")).count();
  }
}
