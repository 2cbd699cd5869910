package io.editstream.processor.chaos;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.testkit.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes down while jobs flow and model calls are in flight, stays down longer than the 10
 * s transaction timeout of exactly-once (so the open transaction is aborted and its producer
 * fenced), and comes back on the same port with its data. Jobs submitted during the outage wait in
 * the producer. The processor recovers by itself (nobody restarts it) and every job gets exactly
 * one outcome.
 *
 * <p>Restarting the shared in-JVM broker affects every test of this JVM, which is why this is a
 * class of its own (failsafe runs classes one after another).
 */
class BrokerRestartChaosTest {
  private static final int BEFORE = 80;
  private static final int DURING = 40;
  private static final int AFTER = 40;

  /**
   * How long the broker stays down: the fault itself, longer than the transaction timeout that
   * exactly-once gives the processor's producer (10 s), so the outage aborts an open transaction.
   */
  private static final Duration OUTAGE = Duration.ofSeconds(12);

  @Test
  void shouldRecoverByItselfAndAnswerEveryJobOnceAfterABrokerRestart(@TempDir Path work)
      throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    Assumptions.assumeTrue(broker.supportsRestart(), "only the in-JVM broker can be restarted");
    byte[] png = TestPngs.small(3);
    long start = System.nanoTime();
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    try (ThreadDeaths threadDeaths = ThreadDeaths.watch();
        Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(700).withErrorRate(0.15).withSeed(5));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("model.max.in.flight", "8");
      settings.put("retry.max.attempts", "10");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        submit(pipeline, ids, "before", BEFORE, png);
        assertThat(
                pipeline.readUntil(() -> pipeline.outcomes() >= BEFORE / 4, Duration.ofSeconds(90)))
            .as("outcomes before the restart")
            .isTrue();
        long inFlight = emulator.stats().currentConcurrent();

        broker.shutdownBroker();
        long down = System.nanoTime();
        // Submitted while the broker is down: send() waits for metadata (up to max.block.ms,
        // 60 s), so a producer of its own keeps submitting while this thread drives the outage.
        CompletableFuture<Void> during =
            CompletableFuture.runAsync(
                () -> {
                  submit(pipeline, ids, "during", DURING, png);
                  pipeline.flush();
                });
        // Model calls keep completing while the processor cannot commit.
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> emulator.stats().currentConcurrent() == 0);
        long remainingMs = OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000;
        if (remainingMs > 0) {
          TimeUnit.MILLISECONDS.sleep(remainingMs); // the outage is the fault, not a wait
        }
        broker.startBroker();
        during.get(90, TimeUnit.SECONDS);
        submit(pipeline, ids, "after", AFTER, png);
        pipeline.flush();

        boolean all =
            pipeline.readUntil(
                () -> ids.stream().allMatch(pipeline::answered), Duration.ofSeconds(180));
        List<String> missing = ids.stream().filter(id -> !pipeline.answered(id)).toList();
        assertThat(all).as("every job answered after the restart; missing %s", missing).isTrue();
        assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(inFlight).as("model calls in flight when the broker went down").isPositive();
      }
      assertThat(pipeline.readToCommittedEnd(Duration.ofSeconds(60))).isTrue();
      EmulatorStats stats = emulator.stats();
      List<String> lost = ids.stream().filter(id -> !pipeline.answered(id)).toList();
      ReliabilityTable.print(
          new ReliabilityTable.Row(
              "broker-restart",
              ids.size(),
              Duration.ofNanos(System.nanoTime() - start),
              0,
              1,
              stats.requests(),
              stats.answers(503),
              stats.answers(500),
              stats.answers(429),
              0,
              pipeline.results.size(),
              pipeline.failuresByCode(),
              pipeline.dlq.size(),
              lost.size(),
              pipeline.doubled.size()));
      System.out.printf(
          "stream threads that died and were replaced during the outage: %d%n",
          threadDeaths.count());
      System.out.printf(
          "reader saw %d records again at an offset already read (not counted as outcomes)%n",
          pipeline.redelivered);
      pipeline.doubled.forEach(
          id ->
              System.out.printf(
                  "doubled %s: %s%n",
                  id, pipeline.results.containsKey(id) ? pipeline.results.get(id) : ""));
      assertThat(lost).isEmpty();
      assertThat(pipeline.doubled).as("jobs with more than one outcome").isEmpty();
      assertThat(pipeline.dlq).isEmpty();
      assertThat(pipeline.failures.values())
          .allSatisfy(f -> assertThat(KillChaos.EXHAUSTED).contains(f.getCode()));
    }
  }

  private static void submit(
      Pipeline pipeline, List<String> ids, String phase, int count, byte[] png) {
    for (int i = 0; i < count; i++) {
      String id = "restart-" + phase + "-" + i;
      ids.add(id);
      pipeline.send(job(id, "remove the background, " + phase + " " + i, png));
    }
  }
}
