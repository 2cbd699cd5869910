package io.editstream.bench.memory;

import static io.editstream.bench.memory.MemorySection.mib;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.OutcomeReader;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditJob;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * DESIGN.md §12 "memory": the processor's heap is bounded by configured in-flight bytes, not by the
 * backlog. For each backlog size, a backlog of large inline-image jobs is produced, then the
 * production processor drains it in a child JVM with a fixed {@code -Xmx}; its heap in use is
 * sampled over JMX, and a full collection every few seconds measures its live data.
 */
@Command(
    name = "memory",
    mixinStandardHelpOptions = true,
    description =
        "Heap of one processor (child JVM, fixed -Xmx) draining backlogs of different sizes of"
            + " large inline-image jobs: peak heap in use and live data after full GCs.")
public final class MemoryBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Option(
      names = "--jobs",
      split = ",",
      description = "Backlog sizes, comma-separated (default 500,5000; --quick 200,1000).")
  List<Integer> jobs;

  @Option(
      names = "--image-kb",
      defaultValue = "200",
      description = "Size of each job's inline PNG, KB (default ${DEFAULT-VALUE}).")
  int imageKb;

  @Option(
      names = "--latency-ms",
      description = "Emulator mean latency (default 2800; --quick 1000).")
  Long latencyMs;

  @Option(
      names = "--in-flight",
      defaultValue = "64",
      description = "model.max.in.flight (default ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(
      names = "--pending-max-per-task",
      defaultValue = "100",
      description =
          "pending.max.per.task (default ${DEFAULT-VALUE}): low, so that a backlog of thousands"
              + " of jobs is already beyond the pending bound, as 6,000+ jobs on 6 partitions"
              + " would be with the processor's default of 1000 per task.")
  int pendingMax;

  @Option(
      names = "--cache-max-bytes",
      defaultValue = "33554432",
      description =
          "cache.max.bytes (default ${DEFAULT-VALUE}, 32 MiB): the cache grows with jobs done, up"
              + " to this bound, not with the backlog.")
  long cacheMaxBytes;

  @Option(
      names = "--xmx",
      defaultValue = "1g",
      description = "-Xmx of the processor's JVM (default ${DEFAULT-VALUE}).")
  String xmx;

  @Option(
      names = "--gc-every-ms",
      defaultValue = "2000",
      description =
          "Interval of the full collections that measure live data (default ${DEFAULT-VALUE}).")
  long gcEveryMs;

  @Option(
      names = "--buffered-records",
      split = ",",
      description =
          "Runs every backlog once per value of Kafka Streams' buffered.records.per.partition,"
              + " e.g. 32,1000 (default: only the processor's default).")
  List<Integer> bufferedRecords;

  @Option(
      names = "--set",
      description = "Extra processor setting, e.g. --set cache.max.bytes=0 (repeatable).")
  Map<String, String> extra = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    List<Integer> backlogs =
        jobs != null ? jobs : common.quick ? List.of(200, 1000) : List.of(500, 5000);
    long latency = latencyMs != null ? latencyMs : common.quick ? 1000 : 2800;
    MemorySection section =
        new MemorySection("Memory: heap vs backlog size (DESIGN.md §12)", command(), header());
    section.columns(
        "backlog jobs",
        "job size",
        "in-flight bound",
        "input queues bound",
        "peak heap used",
        "live after GC: median while draining / max",
        "live after drain",
        "peak RSS",
        "jobs done",
        "duration");

    BenchEnv env = BenchEnv.start();
    String loadAtStart = MemorySection.loadAverage();
    byte[] image = Images.noisePng(imageKb * 1000, 7);
    ProcessorConfig shown = null;
    Map<Integer, List<Point>> points = new LinkedHashMap<>();
    try (Emulator emulator =
        Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(latency).withSeed(42))) {
      List<Integer> buffers = new ArrayList<>();
      if (bufferedRecords == null) {
        buffers.add(null);
      } else {
        buffers.addAll(bufferedRecords);
      }
      for (int backlog : backlogs) {
        for (Integer buffered : buffers) {
          shown = runOne(env, emulator, section, backlog, buffered, image, latency, points);
        }
      }
    } finally {
      env.deleteWork();
    }
    describe(
        section,
        shown,
        EditstreamProcessor.streamsProperties(shown),
        latency,
        image.length,
        loadAtStart);
    points.forEach(
        (queued, runs) -> {
          String g = growth(runs);
          if (!g.isEmpty()) {
            section.note("buffered.records.per.partition=" + queued + ": " + g + ".");
          }
        });
    section.print(System.out);
    if (!common.noDoc) {
      section.writeTo(common.doc);
      System.out.println("Wrote the section 'memory' of " + common.doc.toAbsolutePath());
    }
    return 0;
  }

  /** One backlog size with one input-buffer setting ({@code null}: the processor's default). */
  private ProcessorConfig runOne(
      BenchEnv env,
      Emulator emulator,
      MemorySection section,
      int backlog,
      Integer buffered,
      byte[] image,
      long latency,
      Map<Integer, List<Point>> points)
      throws Exception {
    String prefix = env.newPrefix("mem");
    Map<String, String> settings = env.processorSettings(prefix, emulator.baseUrl());
    settings.put("stream.threads", "1");
    settings.put("model.max.in.flight", String.valueOf(inFlight));
    settings.put("pending.max.per.task", String.valueOf(pendingMax));
    settings.put("cache.max.bytes", String.valueOf(cacheMaxBytes));
    if (buffered != null) {
      settings.put(
          "kafka." + StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, String.valueOf(buffered));
    }
    settings.putAll(extra);
    ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
    Properties streams = EditstreamProcessor.streamsProperties(config);
    env.broker.createTopic(config.topics().jobs(), config.topics().partitions());

    long jobBytes = produce(env, config, backlog, image);
    Run run = drain(env, prefix, settings, backlog, latency);
    long perJob = jobBytes / backlog;
    int queued =
        Integer.parseInt(
            String.valueOf(streams.get(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG)));
    int inputPartitions = 2 * config.topics().partitions();
    section.row(
        String.format(Locale.ROOT, "%,d", backlog),
        String.format(Locale.ROOT, "%,d KB", perJob / 1000),
        String.format(
            Locale.ROOT,
            "%d × %,d KB = %s",
            config.model().maxInFlight(),
            perJob / 1000,
            mib(config.model().maxInFlight() * perJob)),
        String.format(
            Locale.ROOT,
            "%d × %,d × %,d KB = %s",
            inputPartitions,
            queued,
            perJob / 1000,
            mib((long) inputPartitions * queued * perJob)),
        mib(run.heap().peakUsedBytes()),
        mib(run.heap().medianDrainingLiveBytes()) + " / " + mib(run.heap().maxLiveBytes()),
        mib(run.heap().lastLiveBytes()),
        run.peakRss() < 0 ? "n/a" : mib(run.peakRss()),
        String.format(Locale.ROOT, "%,d (%,d failed)", run.done(), run.failed()),
        String.format(Locale.ROOT, "%.0f s", run.seconds()));
    if (run.done() < backlog) {
      section.note(
          "TIMED OUT or processor died at backlog " + backlog + ": " + run.done() + " outcomes.");
    }
    points
        .computeIfAbsent(queued, k -> new ArrayList<>())
        .add(new Point(backlog, run.heap().medianDrainingLiveBytes(), run.heap().maxLiveBytes()));
    return config;
  }

  /** One run's backlog and live heap, for the growth note. */
  record Point(int backlog, long medianLiveBytes, long maxLiveBytes) {}

  /**
   * How the live heap changed from the smallest to the largest backlog, e.g. "backlog ×10 (500 →
   * 5,000 jobs): median live heap while draining ×1.23 (97 → 119 MiB), max ×1.22"; empty when there
   * are fewer than two backlog sizes.
   */
  static String growth(List<Point> runs) {
    if (runs.size() < 2) {
      return "";
    }
    Point lo = runs.stream().min(java.util.Comparator.comparingInt(Point::backlog)).orElseThrow();
    Point hi = runs.stream().max(java.util.Comparator.comparingInt(Point::backlog)).orElseThrow();
    if (lo.backlog() == hi.backlog() || lo.medianLiveBytes() == 0 || lo.maxLiveBytes() == 0) {
      return "";
    }
    return String.format(
        Locale.ROOT,
        "backlog ×%.0f (%,d → %,d jobs): median live heap while draining ×%.2f (%s → %s), max ×%.2f",
        (double) hi.backlog() / lo.backlog(),
        lo.backlog(),
        hi.backlog(),
        (double) hi.medianLiveBytes() / lo.medianLiveBytes(),
        mib(lo.medianLiveBytes()),
        mib(hi.medianLiveBytes()),
        (double) hi.maxLiveBytes() / lo.maxLiveBytes());
  }

  private record Run(HeapStats.Summary heap, long peakRss, int done, int failed, double seconds) {}

  /** Produces {@code backlog} distinct jobs before the processor starts; returns their bytes. */
  private static long produce(BenchEnv env, ProcessorConfig config, int backlog, byte[] image) {
    long bytes = 0;
    try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
      List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent =
          new ArrayList<>();
      for (int i = 0; i < backlog; i++) {
        String id = "mem-" + i;
        sent.add(
            producer.send(
                new ProducerRecord<>(
                    config.topics().jobs(),
                    id,
                    BenchEnv.job(id, "bench", "remove the background, backlog job " + i, image))));
      }
      producer.flush();
      for (var f : sent) {
        bytes += f.get().serializedValueSize();
      }
    } catch (Exception e) {
      throw new IllegalStateException("producing the backlog failed", e);
    }
    return bytes;
  }

  private Run drain(
      BenchEnv env, String prefix, Map<String, String> settings, int backlog, long latency)
      throws Exception {
    HeapStats heap = new HeapStats();
    Path log = Path.of("target", "editstream-bench-memory-processor.log");
    try (OutcomeReader reader = new OutcomeReader(env, prefix)) {
      long t0 = System.nanoTime();
      long peakRss;
      try (ChildProcessor child =
          ChildProcessor.start(
              settings, xmx, env.work.resolve(prefix + "child"), log, Duration.ofMinutes(2))) {
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        long[] lastGc = {System.nanoTime()};
        sampler.scheduleWithFixedDelay(
            () -> {
              try {
                if (System.nanoTime() - lastGc[0] >= gcEveryMs * 1_000_000) {
                  int seen = reader.count();
                  heap.live(child.liveAfterFullGc(), seen > 0 && seen < backlog);
                  lastGc[0] = System.nanoTime();
                } else {
                  heap.used(child.heapUsed());
                }
              } catch (RuntimeException e) {
                // the child is gone or busy; the next sample tries again
              }
            },
            0,
            100,
            TimeUnit.MILLISECONDS);
        Duration timeout =
            Duration.ofSeconds(Math.max(300, backlog * latency / 1000 / Math.max(1, inFlight) * 4));
        try {
          reader.readUntil(() -> reader.count() >= backlog || !child.alive(), timeout);
        } finally {
          sampler.shutdownNow();
          sampler.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (child.alive()) {
          heap.live(child.liveAfterFullGc(), false); // after the drain: what stays
        }
        peakRss = child.peakRssBytes();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      int failed = (int) reader.seen().values().stream().filter(s -> !s.ok()).count();
      return new Run(heap.summary(), peakRss, reader.count(), failed, seconds);
    }
  }

  private void describe(
      MemorySection section,
      ProcessorConfig config,
      Properties streams,
      long latency,
      int imageBytes,
      String loadAtStart) {
    int partitions = config.topics().partitions();
    Object buffered = streams.get(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG);
    section.fact(
        "Workload per row: that many distinct jobs (one "
            + imageBytes / 1000
            + " KB inline noise PNG each, unique instruction, 512 px PNG output) produced before the"
            + " processor starts; emulator mean latency "
            + latency
            + " ms, no quota, no faults.");
    section.fact(
        "Processor: the production main class in a child JVM (-Xmx"
            + xmx
            + ", G1), 1 instance, stream.threads=1, "
            + partitions
            + " partitions, model.max.in.flight="
            + config.model().maxInFlight()
            + ", pending.max.per.task="
            + config.pendingMaxPerTask()
            + " (low on purpose: the backlog is beyond the pending bound, as a backlog of"
            + " 6 × 1000 = 6,000+ jobs would be with the default), cache.max.bytes="
            + config.cache().maxBytes()
            + " (finished images above output.inline.max.bytes are cached as a blob URI, ~1 KB"
            + " per finished job)"
            + ", quota.queue.max="
            + config.quota().queueMax()
            + ", buffered.records.per.partition="
            + (bufferedRecords == null ? buffered : bufferedRecords + " (one run each)")
            + (extra.isEmpty() ? "" : ", " + extra)
            + ".");
    section.fact(
        "Peak heap used: highest heap in use over samples every 100 ms (garbage included, so it"
            + " follows G1's sizing within -Xmx). Live after GC: heap in use right after a full GC, forced over JMX every "
            + gcEveryMs
            + " ms (median over those between the first and the last outcome, max over all) and"
            + " once after the drain (live after drain). Input queues bound: Kafka Streams' queues of fetched records, 2 ×"
            + " partitions (job topic and repartition topic) × buffered.records.per.partition ×"
            + " job size. Peak RSS: the child's VmHWM (heap, RocksDB, metaspace, threads). Duration: child start to last outcome seen.");
    section.note(
        "Load average at start / end: "
            + loadAtStart
            + " / "
            + MemorySection.loadAverage()
            + " on the 2 shared cores (other builds ran at the same time; durations are"
            + " inflated by that, heap numbers are not).");
  }

  private String command() {
    StringBuilder cmd = new StringBuilder("java -jar bench/target/editstream-bench.jar memory");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (jobs != null) {
      cmd.append(" --jobs ").append(String.join(",", jobs.stream().map(String::valueOf).toList()));
    }
    if (imageKb != 200) {
      cmd.append(" --image-kb ").append(imageKb);
    }
    if (latencyMs != null) {
      cmd.append(" --latency-ms ").append(latencyMs);
    }
    if (inFlight != 64) {
      cmd.append(" --in-flight ").append(inFlight);
    }
    if (pendingMax != 100) {
      cmd.append(" --pending-max-per-task ").append(pendingMax);
    }
    if (cacheMaxBytes != 33554432L) {
      cmd.append(" --cache-max-bytes ").append(cacheMaxBytes);
    }
    if (!xmx.equals("1g")) {
      cmd.append(" --xmx ").append(xmx);
    }
    if (bufferedRecords != null) {
      cmd.append(" --buffered-records ")
          .append(String.join(",", bufferedRecords.stream().map(String::valueOf).toList()));
    }
    extra.forEach((k, v) -> cmd.append(" --set ").append(k).append('=').append(v));
    return cmd.toString();
  }

  private static String header() {
    Runtime rt = Runtime.getRuntime();
    long ram = -1;
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      ram = Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
    }
    return "Run: "
        + ZonedDateTime.now(ZoneOffset.UTC)
            .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT))
        + ". Machine: "
        + rt.availableProcessors()
        + " cores, "
        + ram
        + " GiB RAM, JVM "
        + System.getProperty("java.version")
        + ".";
  }
}
