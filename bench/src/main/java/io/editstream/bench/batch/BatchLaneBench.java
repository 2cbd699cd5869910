package io.editstream.bench.batch;

import static io.editstream.bench.Report.num;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.OutcomeReader;
import io.editstream.bench.Report;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditJob;
import io.editstream.schema.Lanes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue 18's benchmark: one catalogue of N jobs run twice in one run through the same processor
 * ({@code batch.lane=per-job}), once asking for the online lane and once for the batch lane ({@code
 * editstream.lane}), on the real broker, registry and the emulator's generateContent and Batch API.
 * Per lane: model calls (online calls, batch requests, batches), estimated cost (the sum of the
 * results' {@code estimatedCostUsd}), wall time, outcomes (results, failures, lost, doubled).
 */
@Command(
    name = "batch-benchmark",
    mixinStandardHelpOptions = true,
    description =
        "A catalogue (default 2,000 jobs) online vs through the batch lane, in one run: model"
            + " calls, estimated cost, wall time, outcomes.")
public final class BatchLaneBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Option(names = "--jobs", description = "Jobs in the catalogue (default 2000; --quick 200).")
  Integer jobs;

  @Option(
      names = "--turnaround-ms",
      defaultValue = "5000",
      description =
          "The emulator's batch turnaround: creation to SUCCEEDED (default ${DEFAULT-VALUE}; Google"
              + " states up to 24 h, most batches finish far sooner).")
  long turnaroundMs;

  @Option(
      names = "--latency-ms",
      defaultValue = "2800",
      description = "The emulator's mean latency of an online call (default ${DEFAULT-VALUE}).")
  int latencyMs;

  @Option(
      names = "--batch-max-requests",
      defaultValue = "200",
      description = "batch.max.requests (default ${DEFAULT-VALUE}).")
  int batchMaxRequests;

  @Option(
      names = "--batch-max-wait-ms",
      defaultValue = "5000",
      description = "batch.max.wait.ms (default ${DEFAULT-VALUE}).")
  long batchMaxWaitMs;

  @Option(
      names = "--poll-ms",
      defaultValue = "1000",
      description = "batch.poll.interval.ms (default ${DEFAULT-VALUE}).")
  long pollMs;

  @Option(
      names = "--set",
      description = "Extra processor setting, e.g. --set model.max.in.flight=32 (repeatable).")
  Map<String, String> extra = new LinkedHashMap<>();

  /** What one lane's run came to. */
  record Run(
      String lane,
      int jobs,
      long onlineCalls,
      long batchRequests,
      long batches,
      double costUsd,
      double wallSeconds,
      int results,
      int failures,
      int lost,
      int doubled,
      int wrongLane) {}

  @Override
  public Integer call() throws Exception {
    int n = jobs != null ? jobs : common.quick ? 200 : 2000;
    StringBuilder cmd =
        new StringBuilder("java -jar bench/target/editstream-bench.jar batch-benchmark");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (jobs != null) {
      cmd.append(" --jobs ").append(jobs);
    }
    if (turnaroundMs != 5000) {
      cmd.append(" --turnaround-ms ").append(turnaroundMs);
    }
    if (latencyMs != 2800) {
      cmd.append(" --latency-ms ").append(latencyMs);
    }
    if (batchMaxRequests != 200) {
      cmd.append(" --batch-max-requests ").append(batchMaxRequests);
    }
    if (batchMaxWaitMs != 5000) {
      cmd.append(" --batch-max-wait-ms ").append(batchMaxWaitMs);
    }
    if (pollMs != 1000) {
      cmd.append(" --poll-ms ").append(pollMs);
    }
    extra.forEach((k, v) -> cmd.append(" --set ").append(k).append('=').append(v));
    Report report =
        new Report(
            "batch-lane",
            "Batch lane: a " + num(n, 0) + "-job catalogue online vs by batch (issue 18)",
            cmd.toString());

    BenchEnv env = BenchEnv.start();
    List<Run> runs = new ArrayList<>();
    try (Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey(BenchEnv.API_KEY)
                .withLatencyMeanMs(latencyMs)
                .withSeed(18)
                .withBatchTurnaround(Duration.ofMillis(turnaroundMs)))) {
      String prefix = env.newPrefix("batch");
      Map<String, String> settings = env.processorSettings(prefix, emulator.baseUrl());
      settings.put("batch.lane", "per-job");
      settings.put("batch.max.requests", String.valueOf(batchMaxRequests));
      settings.put("batch.max.wait.ms", String.valueOf(batchMaxWaitMs));
      settings.put("batch.poll.interval.ms", String.valueOf(pollMs));
      settings.putAll(extra);
      ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
      List<byte[]> photos = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        photos.add(Images.gradientPng(64, i));
      }
      env.broker.createTopic(config.topics().jobs(), config.topics().partitions());
      report.fact(
          "Catalogue: "
              + num(n, 0)
              + " jobs, each one of 50 generated 64 px PNG photos (inline, the images the other"
              + " benchmarks use) with an instruction of its own, 512 px PNG output, priority BULK,"
              + " bypassCache=true (the second run must not be answered from the first run's"
              + " cache). The same catalogue runs twice, first with editstream.lane=online, then"
              + " with editstream.lane=batch; each run starts when the previous one has all its"
              + " outcomes.");
      report.fact(
          "Emulator: online calls "
              + latencyMs
              + " ms mean latency (log-normal), no quota, no faults; batch turnaround "
              + num(turnaroundMs / 1000.0, 1)
              + " s from creation to SUCCEEDED (Google's is up to 24 h, so the batch wall time"
              + " below is the processor's share, not what a real batch takes).");
      report.fact(
          "Processor: 1 instance (EditstreamProcessor.start, in this JVM), batch.lane=per-job,"
              + " batch.max.requests="
              + batchMaxRequests
              + ", batch.max.wait.ms="
              + batchMaxWaitMs
              + ", batch.poll.interval.ms="
              + pollMs
              + ", model.max.in.flight="
              + config.model().maxInFlight()
              + ", "
              + config.topics().partitions()
              + " partitions, exactly_once_v2"
              + (extra.isEmpty() ? "" : ", " + extra)
              + " (defaults otherwise).");

      try (KafkaProducer<String, EditJob> producer = env.jobProducer();
          OutcomeReader reader = new OutcomeReader(env, prefix);
          EditstreamProcessor processor = EditstreamProcessor.start(config)) {
        if (!processor.awaitRunning(Duration.ofMinutes(2))) {
          throw new IllegalStateException("the processor did not start in 2 minutes");
        }
        for (String lane : List.of(Lanes.ONLINE, Lanes.BATCH)) {
          runs.add(run(lane, n, photos, config, producer, reader, emulator));
          System.out.println("   " + lane + " run done: " + runs.get(runs.size() - 1));
        }
      }
    } finally {
      env.deleteWork();
    }

    List<List<String>> table = new ArrayList<>();
    for (Run r : runs) {
      table.add(
          List.of(
              r.lane(),
              num(r.jobs(), 0),
              num(r.onlineCalls(), 0),
              num(r.batchRequests(), 0),
              num(r.batches(), 0),
              "$" + num(r.costUsd(), 2),
              num(r.wallSeconds(), 1),
              num(r.results(), 0) + " / " + num(r.failures(), 0),
              num(r.lost(), 0),
              num(r.doubled(), 0)));
    }
    report.table(
        List.of(
            "lane",
            "jobs",
            "online calls",
            "batch requests",
            "batches",
            "est. cost",
            "wall time (s)",
            "results / failures",
            "lost",
            "doubled"),
        table);
    if (runs.size() == 2) {
      Run online = runs.get(0);
      Run batch = runs.get(1);
      report.row(
          "saving of the batch lane",
          "$" + num(online.costUsd() - batch.costUsd(), 2),
          batch.costUsd() > 0
              ? num(100 * (1 - batch.costUsd() / online.costUsd()), 1)
                  + " % of the online cost (50 % expected: batch price)"
              : "");
      report.row(
          "results with the wrong lane marker",
          num(online.wrongLane() + batch.wrongLane(), 0),
          "0 expected: lane=online for the first run, batch for the second");
    }
    report.note(
        "*online calls* / *batch requests* / *batches*: counted by the emulator during each run;"
            + " *est. cost*: sum of the results' estimatedCostUsd (processor's price per token;"
            + " batch answers at 50 %); *wall time*: first job produced -> last outcome visible"
            + " (read_committed); *lost*: jobs without an outcome; *doubled*: a second outcome for"
            + " a job.");
    report.note(
        "Broker, registry, emulator, processor and the load generator share the machine's cores"
            + " with other builds; the load average is given above.");
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
      System.out.println("Wrote the section 'batch-lane' of " + common.doc.toAbsolutePath());
    }
    boolean clean = runs.stream().allMatch(r -> r.lost() == 0 && r.doubled() == 0);
    return clean ? 0 : 1;
  }

  private static Run run(
      String lane,
      int n,
      List<byte[]> photos,
      ProcessorConfig config,
      KafkaProducer<String, EditJob> producer,
      OutcomeReader reader,
      Emulator emulator) {
    EmulatorStats before = emulator.stats();
    int seenBefore = reader.count();
    int duplicatesBefore = reader.duplicates();
    List<String> ids = new ArrayList<>(n);
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      String id = lane + "-" + i;
      ids.add(id);
      EditJob job =
          BenchEnv.job(
              id,
              "bench",
              "catalogue item " + i + ": remove the background, add a soft shadow",
              photos.get(i % photos.size()));
      job.setSku("SKU-" + i);
      job.setBypassCache(true);
      Map<String, String> attributes = new HashMap<>(job.getAttributes());
      attributes.put(Lanes.ATTRIBUTE, lane);
      job.setAttributes(attributes);
      producer.send(new ProducerRecord<>(config.topics().jobs(), id, job));
    }
    producer.flush();
    boolean done = reader.readUntil(() -> reader.count() >= seenBefore + n, Duration.ofMinutes(20));
    long lastSeen = Long.MIN_VALUE;
    double cost = 0;
    int results = 0;
    int failures = 0;
    int wrongLane = 0;
    for (String id : ids) {
      OutcomeReader.Seen s = reader.seen().get(id);
      if (s == null) {
        continue;
      }
      lastSeen = Math.max(lastSeen, s.seenNanos());
      if (s.ok()) {
        results++;
        if (s.result().getEstimatedCostUsd() != null) {
          cost += s.result().getEstimatedCostUsd();
        }
        if (!lane.equals(s.result().getLane())) {
          wrongLane++;
        }
      } else {
        failures++;
      }
    }
    EmulatorStats after = emulator.stats();
    double wall = done || lastSeen > t0 ? (lastSeen - t0) / 1e9 : Double.NaN;
    return new Run(
        lane,
        n,
        after.requests() - before.requests(),
        after.batchRequests() - before.batchRequests(),
        after.batchesCreated() - before.batchesCreated(),
        cost,
        wall,
        results,
        failures,
        n - results - failures,
        reader.duplicates() - duplicatesBefore,
        wrongLane);
  }
}
