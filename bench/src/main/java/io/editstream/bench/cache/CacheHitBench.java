package io.editstream.bench.cache;

import static io.editstream.bench.Report.num;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.CpuMeter;
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
import io.editstream.serde.AvroSerdes;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue 6's hit-path benchmark: warm the dedup cache with one job per unique pair, then release a
 * backlog of jobs that are all hits (10 KB inline images) in one transaction and measure how fast
 * one instance answers them.
 */
@Command(
    name = "cache-hits",
    mixinStandardHelpOptions = true,
    description = "Jobs/s of one instance for a backlog of pure cache hits (10 KB inline images).")
public final class CacheHitBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Option(names = "--hits", description = "Hit jobs in the backlog (default 50000; --quick 10000).")
  Integer hits;

  @Option(
      names = "--pairs",
      defaultValue = "100",
      description = "Unique image+instruction pairs warmed first (default ${DEFAULT-VALUE}).")
  int pairs;

  @Option(
      names = "--image-bytes",
      defaultValue = "10000",
      description = "Approximate size of each inline input image (default ${DEFAULT-VALUE}).")
  int imageBytes;

  @Option(
      names = "--stream-threads",
      defaultValue = "1",
      description = "stream.threads of the instance (default ${DEFAULT-VALUE}).")
  int streamThreads;

  @Option(
      names = "--set",
      description = "Extra processor setting, e.g. --set output.inline.max.bytes=0 (repeatable).")
  Map<String, String> extra = new java.util.LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    int n = hits != null ? hits : common.quick ? 10000 : 50000;
    StringBuilder cmd = new StringBuilder("java -jar bench/target/editstream-bench.jar cache-hits");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (hits != null) {
      cmd.append(" --hits ").append(hits);
    }
    if (pairs != 100) {
      cmd.append(" --pairs ").append(pairs);
    }
    if (imageBytes != 10000) {
      cmd.append(" --image-bytes ").append(imageBytes);
    }
    if (streamThreads != 1) {
      cmd.append(" --stream-threads ").append(streamThreads);
    }
    extra.forEach((k, v) -> cmd.append(" --set ").append(k).append('=').append(v));
    Report report =
        new Report(
            "cache-hits",
            "Cache-hit path: a backlog of pure hits, one instance (issue 6)",
            cmd.toString());

    BenchEnv env = BenchEnv.start();
    try (Emulator emulator =
        Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(7))) {
      String prefix = env.newPrefix("hits");
      Map<String, String> settings = env.processorSettings(prefix, emulator.baseUrl());
      settings.put("stream.threads", String.valueOf(streamThreads));
      settings.putAll(extra);
      ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
      List<byte[]> images = new ArrayList<>();
      for (int i = 0; i < pairs; i++) {
        images.add(Images.noisePng(imageBytes, 1000 + i));
      }
      String instruction = "remove the background and add a soft shadow";
      env.broker.createTopic(config.topics().jobs(), config.topics().partitions());

      try (OutcomeReader reader = new OutcomeReader(env, prefix);
          EditstreamProcessor processor = EditstreamProcessor.start(config)) {
        // 1. Warm: one job per pair, each a model call.
        try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
          for (int i = 0; i < pairs; i++) {
            String id = "warm-" + i;
            producer.send(
                new ProducerRecord<>(
                    config.topics().jobs(),
                    id,
                    BenchEnv.job(id, "bench", instruction, images.get(i))));
          }
        }
        boolean warmed = reader.readUntil(() -> reader.count() >= pairs, Duration.ofMinutes(5));
        if (!warmed) {
          throw new IllegalStateException(
              "warm-up did not finish: " + reader.count() + " of " + pairs + " outcomes");
        }
        long warmCalls = emulator.stats().requests();
        long warmInline = 0;
        double warmOutputBytes = 0;
        for (int i = 0; i < pairs; i++) {
          OutcomeReader.Seen s = reader.seen().get("warm-" + i);
          if (s != null && s.ok()) {
            var out = s.result().getImages().get(0);
            warmOutputBytes += out.getSizeBytes();
            if (out.getData() != null) {
              warmInline++;
            }
          }
        }
        warmOutputBytes /= pairs;
        double hitsBefore = counter(processor, "cache.gets", "result", "hit");

        // 2. The backlog: all hits, committed in one transaction so the processor (which reads
        // read_committed) sees all of it at once.
        List<EditJob> backlog = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int pair = i % pairs;
          backlog.add(BenchEnv.job("hit-" + i, "bench", instruction, images.get(pair)));
        }
        CpuMeter cpu = new CpuMeter(CpuMeter::kafkaGroup);
        long produceStart = System.nanoTime();
        long committed;
        try (KafkaProducer<String, EditJob> tx = transactionalProducer(env)) {
          tx.initTransactions();
          tx.beginTransaction();
          for (EditJob job : backlog) {
            tx.send(new ProducerRecord<>(config.topics().jobs(), job.getJobId().toString(), job));
          }
          tx.commitTransaction();
          committed = System.nanoTime();
        }
        cpu.start();
        boolean done = reader.readUntil(() -> reader.count() >= pairs + n, Duration.ofMinutes(15));
        cpu.stop();
        if (!done) {
          report.note(
              "TIMED OUT: " + (reader.count() - pairs) + " of " + n + " hit outcomes seen.");
        }

        long firstTs = Long.MAX_VALUE;
        long lastTs = Long.MIN_VALUE;
        long lastSeen = Long.MIN_VALUE;
        int answered = 0;
        int cacheHits = 0;
        int withInline = 0;
        List<Double> sizes = new ArrayList<>();
        List<Double> lag = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          OutcomeReader.Seen s = reader.seen().get("hit-" + i);
          if (s == null) {
            continue;
          }
          answered++;
          firstTs = Math.min(firstTs, s.recordTimestamp());
          lastTs = Math.max(lastTs, s.recordTimestamp());
          lastSeen = Math.max(lastSeen, s.seenNanos());
          sizes.add((double) s.valueBytes());
          lag.add((s.seenNanos() - committed) / 1e9);
          if (s.ok() && s.result().getCacheHit()) {
            cacheHits++;
            if (s.result().getImages().get(0).getData() != null) {
              withInline++;
            }
          }
        }
        double wall = (lastSeen - committed) / 1e9;
        double processing = Math.max(1, lastTs - firstTs) / 1e3;
        double fastPath = counter(processor, "cache.gets", "result", "hit") - hitsBefore;

        report.fact(
            "Workload: "
                + pairs
                + " unique pairs warmed with one model call each, then "
                + n
                + " jobs that are all hits ("
                + images.get(0).length / 1024
                + " KB inline PNG input each, "
                + n / pairs
                + " jobs per pair), produced in one transaction so the backlog appears at once.");
        report.fact(
            "Processor: 1 instance, stream.threads="
                + streamThreads
                + ", "
                + config.topics().partitions()
                + " partitions, exactly_once_v2, commit.interval.ms=100, output.inline.max.bytes="
                + config.outputInlineMaxBytes()
                + (extra.isEmpty() ? "" : ", " + extra)
                + ".");
        report.row(
            "hit jobs/s (commit of the backlog -> last result visible)",
            num(answered / wall, 0),
            "target >= 5,000 per instance");
        report.row(
            "hit jobs/s (first -> last result timestamp, processing only)",
            num(answered / processing, 0),
            "record timestamps set by the processor");
        report.row(
            "results / cacheHit=true",
            answered + " / " + cacheHits,
            "all " + n + " expected to be hits");
        report.row(
            "model calls during the hit backlog",
            String.valueOf(emulator.stats().requests() - warmCalls),
            "0 expected");
        report.row(
            "hits counted by the processor's cache", num(fastPath, 0), "cache.gets{result=hit}");
        Percentiles size = Percentiles.of(sizes.stream().mapToDouble(d -> d).toArray());
        Percentiles visible = Percentiles.of(lag.stream().mapToDouble(d -> d).toArray());
        report.row(
            "result record size, mean (bytes)",
            num(size.mean(), 0),
            withInline + " of " + cacheHits + " hits carry the output image inline");
        report.row(
            "output image size, mean (bytes)",
            num(warmOutputBytes, 0),
            warmInline
                + " of "
                + pairs
                + " fresh results carry it inline (output.inline.max.bytes="
                + config.outputInlineMaxBytes()
                + "); hits do as their fresh result did");
        report.row(
            "backlog produce time (s)",
            num((committed - produceStart) / 1e9, 1),
            "load generator, same JVM, before the commit");
        report.row(
            "time to see the last result after the commit (s)",
            num(visible.max(), 1),
            "p50 of all hits: " + num(visible.at(50), 1) + " s");
        report.row("duplicate outcomes", String.valueOf(reader.duplicates()), "0 expected (EOS)");
        cpuRows(report, cpu, answered);
        report.note(
            "The benchmark's own consumer (Avro decoding every result) and the in-JVM broker share"
                + " the 2 cores with the processor.");
      }
    } finally {
      env.deleteWork();
    }
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
      System.out.println("Wrote the section 'cache-hits' of " + common.doc.toAbsolutePath());
    }
    return 0;
  }

  static void cpuRows(Report report, CpuMeter cpu, int jobs) {
    double perJob = cpu.processNanos() / 1e3 / jobs;
    report.row(
        "CPU used while draining (cores busy, this JVM)",
        num(cpu.processNanos() / (double) cpu.wallNanos(), 2),
        "of "
            + Runtime.getRuntime().availableProcessors()
            + " cores; the rest went to other processes or idled");
    report.row(
        "CPU per hit job, whole JVM (us)",
        num(perJob, 0),
        "=> ~"
            + num(Runtime.getRuntime().availableProcessors() * 1e6 / perJob, 0)
            + " jobs/s if this JVM had every core to itself");
    long threads = cpu.byGroup().values().stream().mapToLong(Long::longValue).sum();
    report.row(
        "- of which GC and JIT compiler threads (us)",
        num((cpu.processNanos() - threads) / 1e3 / jobs, 0),
        "whole JVM minus the Java threads below");
    cpu.byGroup().entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .forEach(
            e ->
                report.row(
                    "- of which " + e.getKey() + " (us)",
                    num(e.getValue() / 1e3 / jobs, 0),
                    e.getKey().equals(CpuMeter.STREAM_THREAD)
                        ? "=> one stream thread's ceiling ~"
                            + num(1e6 / (e.getValue() / 1e3 / jobs), 0)
                            + " jobs/s"
                        : ""));
  }

  private static KafkaProducer<String, EditJob> transactionalProducer(BenchEnv env) {
    Map<String, Object> p = new HashMap<>(env.broker.clientConfig());
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-hits-" + UUID.randomUUID());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 300_000);
    return new KafkaProducer<>(
        p,
        new StringSerializer(),
        AvroSerdes.valueSerde(EditJob.class, new HashMap<>(env.registry.clientConfig()))
            .serializer());
  }

  private static double counter(
      EditstreamProcessor processor, String name, String tag, String value) {
    Counter c = processor.meters().find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }
}
