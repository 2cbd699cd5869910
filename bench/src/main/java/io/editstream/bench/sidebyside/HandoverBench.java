package io.editstream.bench.sidebyside;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.Report;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.schema.EditJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How long a hand-over stalls a partition (issue 17.1): processors in child JVMs (so they can be
 * killed with SIGKILL) work a backlog; one of them stops, and the benchmark times, from the calls
 * the emulator received, how long until every partition is called again. Variants run one after the
 * other in one invocation, on fresh topics each, so they compare side by side.
 *
 * <p>Here beside the side-by-side benchmark because it shares its child-JVM, call-recording and
 * config parts.
 */
@Command(
    name = "handover",
    mixinStandardHelpOptions = true,
    description =
        "Hand-over stalls: a restart after kill -9 (dynamic vs static membership), a peer taking"
            + " over after kill -9, and after a clean stop; time until every partition is called"
            + " again.")
public final class HandoverBench implements Callable<Integer> {
  private static final int PARTITIONS = 6;
  private static final Pattern RESTORED =
      Pattern.compile("Restored store (\\S+) from \\S+: (\\d+) records in (\\d+) ms");

  @Mixin Bench.Common common = new Bench.Common();

  @Option(names = "--jobs", defaultValue = "3000", description = "Backlog per scenario.")
  int jobs;

  @Option(
      names = "--stop-after",
      defaultValue = "25",
      description = "Seconds after the first model call at which an instance stops.")
  int stopAfterSeconds;

  @Option(
      names = "--latency-ms",
      defaultValue = "2800",
      description = "Emulator mean latency (ms).")
  int latencyMs;

  @Option(
      names = "--scenarios",
      split = ",",
      description =
          "Scenarios to run, in order (default all): RESTART_DYNAMIC, RESTART_STATIC,"
              + " PEER_AFTER_KILL, PEER_AFTER_STOP.")
  List<Scenario> scenarios = List.of(Scenario.values());

  enum Scenario {
    RESTART_DYNAMIC("restart after kill -9, dynamic membership (default)", 1, false, true),
    RESTART_STATIC("restart after kill -9, instance.id set (static membership)", 1, true, true),
    PEER_AFTER_KILL("a peer takes over after kill -9", 2, false, true),
    PEER_AFTER_STOP("a peer takes over after a clean stop (SIGTERM)", 2, false, false);

    final String label;
    final int instances;
    final boolean staticMembership;
    final boolean kill;

    Scenario(String label, int instances, boolean staticMembership, boolean kill) {
      this.label = label;
      this.instances = instances;
      this.staticMembership = staticMembership;
      this.kill = kill;
    }

    boolean restarts() {
      return instances == 1;
    }
  }

  record Row(
      Scenario scenario,
      long firstCallMs,
      long allPartitionsMs,
      long startToFirstCallMs,
      long restoredRecords,
      long restoreMaxMs,
      int partitionsResumed) {}

  @Override
  public Integer call() throws Exception {
    String command =
        "java -jar bench/target/editstream-bench.jar handover"
            + (jobs != 3000 ? " --jobs " + jobs : "")
            + (stopAfterSeconds != 25 ? " --stop-after " + stopAfterSeconds : "")
            + (latencyMs != 2800 ? " --latency-ms " + latencyMs : "")
            + (scenarios.size() != Scenario.values().length
                ? " --scenarios "
                    + String.join(",", scenarios.stream().map(Scenario::name).toList())
                : "");
    Report report =
        new Report("handover", "Hand-over: how long a partition stalls (issue 17.1)", command);
    BenchEnv env = BenchEnv.start();
    List<Row> rows = new ArrayList<>();
    String loadBefore = load();
    try {
      for (Scenario s : scenarios) {
        rows.add(scenario(env, s));
      }
    } finally {
      env.deleteWork();
    }
    report.fact(
        "Processors in child JVMs (1 stream thread each, exactly_once_v2), "
            + PARTITIONS
            + " partitions, a backlog of "
            + jobs
            + " jobs keyed by jobId, emulator mean latency "
            + latencyMs
            + " ms and no quota; kafka.session.timeout.ms=6000 (the benchmarks' setting; Kafka's"
            + " default is 45000). An instance stops "
            + stopAfterSeconds
            + " s after the first model call. Load average before: "
            + loadBefore
            + "; after: "
            + load()
            + ".");
    report.table(
        List.of(
            "scenario",
            "stop → first call",
            "stop → moved tasks running again",
            "new JVM start → its first call",
            "records restored",
            "longest restore",
            "tasks running again"),
        rows.stream()
            .map(
                r ->
                    List.of(
                        r.scenario.label,
                        seconds(r.firstCallMs),
                        seconds(r.allPartitionsMs),
                        r.scenario.restarts() ? seconds(r.startToFirstCallMs) : "–",
                        String.valueOf(r.restoredRecords),
                        r.restoreMaxMs + " ms",
                        r.partitionsResumed
                            + " of "
                            + (r.scenario.restarts() ? PARTITIONS : PARTITIONS / 2)))
            .toList());
    report.note(
        "*stop → first call*: the first model call the emulator received after the stop; *stop →"
            + " moved tasks running again*: until the last task that changed hands restored its"
            + " accepted jobs and runs (the processor logs it: `N accepted jobs found in the pending"
            + " store`; a restart moves all 6, a peer takes 3); *records restored* /"
            + " *longest restore*: what the processors that took the tasks logged"
            + " (StateRestoreLog: `Restored store …`).");
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
    }
    return 0;
  }

  private Row scenario(BenchEnv env, Scenario s) throws Exception {
    String prefix =
        env.newPrefix("handover-" + s.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    Path logs = Path.of("target", "handover", prefix.substring(0, prefix.length() - 1));
    EmulatorConfig emulatorConfig =
        EmulatorConfig.defaults().withLatencyMeanMs(latencyMs).withSeed(17);
    System.out.printf("%s ...%n", s.label);
    try (Emulator emulator = Emulator.start(emulatorConfig);
        CallRecorder recorder = CallRecorder.start(emulator.baseUrl())) {
      env.broker.createTopic(prefix + "edit-jobs", PARTITIONS);
      Map<String, String> settings =
          new HashMap<>(env.processorSettings(prefix, recorder.baseUrl()));
      settings.put("stream.threads", "1");
      settings.put("topic.partitions", String.valueOf(PARTITIONS));
      settings.put("quota.rpm", "1000000");
      if (s.staticMembership) {
        settings.put("instance.id", "bench-host");
      }
      Path config = env.work.resolve(prefix + "properties");
      ChildConfig.write(settings, config);
      Map<String, Integer> partitionOf = produce(env, prefix + "edit-jobs");

      List<ChildJvm> children = new ArrayList<>();
      int incarnation = 0;
      for (int i = 0; i < s.instances; i++) {
        children.add(start(config, logs, "es-" + incarnation++));
      }
      try {
        long deadline = System.currentTimeMillis() + 180_000;
        while (recorder.firstCallMillis() <= 0) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException(s.label + ": no model call within 3 minutes");
          }
          Thread.sleep(20);
        }
        long stopAt = recorder.firstCallMillis() + stopAfterSeconds * 1000L;
        while (System.currentTimeMillis() < stopAt) {
          Thread.sleep(20);
        }
        ChildJvm victim = children.remove(0);
        long stoppedAt;
        if (s.kill) {
          victim.kill();
        } else {
          victim.stop(60);
        }
        stoppedAt = System.currentTimeMillis();
        long restartedAt = -1;
        String survivorLog;
        if (s.restarts()) {
          restartedAt = System.currentTimeMillis();
          survivorLog = "es-" + incarnation;
          children.add(start(config, logs, "es-" + incarnation++));
        } else {
          survivorLog = "es-1";
        }
        // Until the tasks that moved are running again on their new owner (its log says so when
        // a task restored its accepted jobs), and the first model call after the stop, or 2 min.
        Path survivor = logs.resolve(survivorLog + ".log");
        int moved = s.restarts() ? PARTITIONS : PARTITIONS / 2;
        long until = stoppedAt + 120_000;
        List<Long> running = List.of();
        OptionalLong first = OptionalLong.empty();
        while (System.currentTimeMillis() < until && (running.size() < moved || first.isEmpty())) {
          Thread.sleep(100);
          running = taskStarts(survivor, stoppedAt);
          first =
              recorder.calls().stream()
                  .filter(c -> partitionOf.containsKey(c.jobId()) && c.atMillis() > stoppedAt)
                  .mapToLong(ModelCall::atMillis)
                  .min();
        }
        long lastTask = running.size() >= moved ? running.get(moved - 1) : -1;
        long[] restore = restores(survivor);
        Row row =
            new Row(
                s,
                first.isPresent() ? first.getAsLong() - stoppedAt : -1,
                lastTask > 0 ? lastTask - stoppedAt : -1,
                restartedAt > 0 && first.isPresent() ? first.getAsLong() - restartedAt : -1,
                restore[0],
                restore[1],
                Math.min(running.size(), moved));
        System.out.printf(
            "  %s: first call %s after the stop, the moved tasks running after %s%n",
            s.label, seconds(row.firstCallMs), seconds(row.allPartitionsMs));
        return row;
      } finally {
        for (ChildJvm c : children) {
          c.kill();
        }
      }
    }
  }

  private ChildJvm start(Path config, Path logs, String name) throws IOException {
    return ChildJvm.start(
        EditstreamChild.class.getName(),
        List.of("--config", config.toString()),
        logs,
        name,
        "512m");
  }

  private Map<String, Integer> produce(BenchEnv env, String topic) throws InterruptedException {
    byte[] image = Images.gradientPng(64, 1);
    Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
    try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
      for (int i = 0; i < jobs; i++) {
        String id = "ho-" + i;
        EditJob job = BenchEnv.job(id, "bench", "remove the background [job " + id + "]", image);
        producer.send(
            new ProducerRecord<>(topic, id, job),
            (md, e) -> {
              if (e == null) {
                partitionOf.put(id, md.partition());
              }
            });
      }
      producer.flush();
    }
    if (partitionOf.size() != jobs) {
      throw new IllegalStateException(
          "only " + partitionOf.size() + " of " + jobs + " jobs written");
    }
    return partitionOf;
  }

  private static final Pattern TASK_RUNNING =
      Pattern.compile(
          "^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d\\d\\d) .*accepted jobs found in the pending store");

  /**
   * When each task that restored accepted jobs started running after {@code sinceMillis}, sorted,
   * from a child's log (its times are HH:mm:ss.SSS in this machine's time zone, today).
   */
  static List<Long> taskStarts(Path log, long sinceMillis) {
    List<Long> out = new ArrayList<>();
    java.time.LocalDate today = java.time.LocalDate.now();
    try {
      for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
        Matcher m = TASK_RUNNING.matcher(line);
        if (m.find()) {
          long at =
              today
                  .atTime(
                      Integer.parseInt(m.group(1)),
                      Integer.parseInt(m.group(2)),
                      Integer.parseInt(m.group(3)),
                      Integer.parseInt(m.group(4)) * 1_000_000)
                  .atZone(java.time.ZoneId.systemDefault())
                  .toInstant()
                  .toEpochMilli();
          if (at >= sinceMillis) {
            out.add(at);
          }
        }
      }
    } catch (IOException e) {
      return out;
    }
    out.sort(null);
    return out;
  }

  /** Records restored and the longest single restore (ms), from a child's log. */
  static long[] restores(Path log) {
    long records = 0;
    long longest = 0;
    try {
      for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
        Matcher m = RESTORED.matcher(line);
        if (m.find()) {
          records += Long.parseLong(m.group(2));
          longest = Math.max(longest, Long.parseLong(m.group(3)));
        }
      }
    } catch (IOException e) {
      return new long[] {-1, -1};
    }
    return new long[] {records, longest};
  }

  private static String seconds(long ms) {
    return ms < 0 ? "not within 2 min" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}
