package io.editstream.processor.chaos;

import static io.editstream.processor.testsupport.Pipeline.job;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run of many jobs through processors in separate JVMs while the model API fails some calls
 * (503/500 at the error rate, one 429 for every n-th job) and the processor is killed with SIGKILL
 * at given points; each kill is followed by a new instance, in a new state directory (another
 * machine) or in the dead one's (a restart on the same machine). The run ends when every job is
 * answered; the last instance is then stopped, and everything committed is read.
 */
final class KillChaos {

  /**
   * What to run.
   *
   * @param killAfter kill the running instance once this share of the jobs is answered, one entry
   *     per kill, ascending
   * @param stateDirs the state directory name of each instance, {@code killAfter.length + 1} of
   *     them; a repeated name restarts on the same machine
   * @param quota429Every every n-th job carries a marker that makes its first call answer 429
   * @param resendEvery every n-th job is submitted twice (a producer retry or a replay)
   */
  record Plan(
      String scenario,
      int jobs,
      long latencyMeanMs,
      double errorRate,
      int quota429Every,
      int resendEvery,
      int maxInFlight,
      int maxAttempts,
      double[] killAfter,
      List<String> stateDirs,
      long seed,
      Duration phaseTimeout) {}

  /** One kill: which instance, how far the run was, how many model calls were in flight. */
  record Kill(String instance, String stateDir, int outcomesBefore, long callsInFlight) {}

  /** What happened. */
  record Report(
      ReliabilityTable.Row row,
      List<String> lost,
      Set<String> doubled,
      Map<String, EditFailure> unexpectedFailures,
      List<Kill> kills,
      int dlq,
      EmulatorStats emulator,
      int threadDeaths) {}

  /** Failures a run may legitimately end with: injected faults on every allowed attempt. */
  static final Set<FailureCode> EXHAUSTED =
      Set.of(FailureCode.MODEL_UNAVAILABLE, FailureCode.QUOTA_EXHAUSTED);

  private KillChaos() {}

  static Report run(Plan plan, Path work) throws Exception {
    if (plan.stateDirs().size() != plan.killAfter().length + 1) {
      throw new IllegalArgumentException("one state dir per instance");
    }
    byte[] png = TestPngs.small(7);
    long start = System.nanoTime();
    List<Kill> kills = new ArrayList<>();
    List<ProcessorJvm> started = new ArrayList<>();
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withLatencyMeanMs(plan.latencyMeanMs())
                    .withErrorRate(plan.errorRate())
                    .withSeed(plan.seed()));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("retry.max.attempts", Integer.toString(plan.maxAttempts()));
      settings.put("model.max.in.flight", Integer.toString(plan.maxInFlight()));
      // Let a new instance take the dead member's partitions quickly (broker minimum is 6 s).
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");

      List<String> ids = new ArrayList<>();
      for (int i = 0; i < plan.jobs(); i++) {
        String id = "%s-%05d".formatted(plan.scenario(), i);
        ids.add(id);
        String marker = i % plan.quota429Every() == 0 ? " [emulator:fail-times=1:429]" : "";
        // Half keyed by jobId (no repartition hop), half by SKU (over the hop) ...
        EditJob job = job(id, "remove the background, variant " + i + marker, png);
        pipeline.sendRaw(i % 2 == 0 ? id : job.getSku(), pipeline.frame(job));
      }
      for (int i = 0; i < plan.jobs(); i += plan.resendEvery()) {
        EditJob again =
            job(
                ids.get(i),
                "remove the background, variant "
                    + i
                    + (i % plan.quota429Every() == 0 ? " [emulator:fail-times=1:429]" : ""),
                png);
        // ... and each resend by the other path, so the two paths must meet in one task.
        pipeline.sendRaw(i % 2 == 0 ? again.getSku() : ids.get(i), pipeline.frame(again));
      }
      pipeline.flush();

      ProcessorJvm current = startInstance(settings, work, plan, 0, started);
      for (int k = 0; k < plan.killAfter().length; k++) {
        int threshold = (int) Math.ceil(plan.killAfter()[k] * plan.jobs());
        ProcessorJvm running = current;
        boolean reached =
            pipeline.readUntil(
                () -> pipeline.outcomes() >= threshold || !running.isAlive(), plan.phaseTimeout());
        if (!reached || !running.isAlive()) {
          throw new AssertionError(
              "instance %s did not reach %d outcomes (has %d, alive %s); log tail:%n%s"
                  .formatted(
                      running.name,
                      threshold,
                      pipeline.outcomes(),
                      running.isAlive(),
                      running.logTail(60)));
        }
        // Kill while calls are in flight: wait (briefly) for half the window to be busy.
        int busy = Math.max(1, plan.maxInFlight() / 2);
        long busyDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (emulator.stats().currentConcurrent() < busy
            && System.nanoTime() < busyDeadline
            && running.isAlive()) {
          pipeline.readUntil(() -> false, Duration.ofMillis(50));
        }
        long inFlight = emulator.stats().currentConcurrent();
        int before = pipeline.outcomes();
        running.kill();
        kills.add(new Kill(running.name, plan.stateDirs().get(k), before, inFlight));
        current = startInstance(settings, work, plan, k + 1, started);
      }

      ProcessorJvm last = current;
      boolean all =
          pipeline.readUntil(
              () -> ids.stream().allMatch(pipeline::answered) || !last.isAlive(),
              plan.phaseTimeout().multipliedBy(2));
      if (!all || !last.isAlive()) {
        List<String> missing = ids.stream().filter(id -> !pipeline.answered(id)).toList();
        throw new AssertionError(
            "not every job answered: %d missing (e.g. %s), last instance alive %s; log tail:%n%s"
                .formatted(
                    missing.size(),
                    missing.subList(0, Math.min(10, missing.size())),
                    last.isAlive(),
                    last.logTail(60)));
      }
      last.close(); // graceful: its last transaction commits, nothing stays open
      boolean readAll = pipeline.readToCommittedEnd(Duration.ofSeconds(60));
      if (!readAll) {
        throw new AssertionError("could not read the outcome topics to their committed end");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      List<String> lost = ids.stream().filter(id -> !pipeline.answered(id)).toList();
      Map<String, EditFailure> unexpected = new LinkedHashMap<>();
      pipeline.failures.forEach(
          (id, f) -> {
            boolean exhausted =
                EXHAUSTED.contains(f.getCode())
                    && f.getRetryable()
                    && f.getAttempts() == plan.maxAttempts();
            if (!exhausted) {
              unexpected.put(id, f);
            }
          });
      EmulatorStats stats = emulator.stats();
      ReliabilityTable.Row row =
          new ReliabilityTable.Row(
              plan.scenario(),
              plan.jobs(),
              took,
              kills.size(),
              0,
              stats.requests(),
              stats.answers(503),
              stats.answers(500),
              stats.answers(429),
              0,
              pipeline.results.size(),
              pipeline.failuresByCode(),
              pipeline.dlq.size(),
              lost.size(),
              pipeline.doubled.size());
      ReliabilityTable.print(row);
      kills.forEach(
          k ->
              System.out.printf(
                  "kill -9 of %s (state dir %s) after %d of %d outcomes, %d model calls in"
                      + " flight%n",
                  k.instance(), k.stateDir(), k.outcomesBefore(), plan.jobs(), k.callsInFlight()));
      // A replaced stream thread is a crash inside an instance, even one that recovered.
      int threadDeaths = 0;
      for (ProcessorJvm p : started) {
        threadDeaths +=
            (int) p.logText().lines().filter(l -> l.contains("Stream thread died")).count();
      }
      System.out.printf("stream threads that died and were replaced: %d%n", threadDeaths);
      return new Report(
          row,
          lost,
          Set.copyOf(pipeline.doubled),
          unexpected,
          kills,
          pipeline.dlq.size(),
          stats,
          threadDeaths);
    } finally {
      for (ProcessorJvm p : started) {
        p.close(); // no processor JVM outlives a failed run
      }
    }
  }

  private static ProcessorJvm startInstance(
      Map<String, String> settings, Path work, Plan plan, int index, List<ProcessorJvm> started)
      throws Exception {
    String dir = plan.stateDirs().get(index);
    settings.put("state.dir", work.resolve(dir).toString());
    ProcessorJvm jvm = new ProcessorJvm(settings, work, "instance-" + (char) ('a' + index));
    started.add(jvm);
    return jvm;
  }
}
