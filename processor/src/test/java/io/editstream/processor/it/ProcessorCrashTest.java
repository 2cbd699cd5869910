package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor is killed with SIGKILL while model calls are in flight; a new instance (new state
 * directory, as on another machine) takes over. Every job ends with exactly one committed outcome.
 */
class ProcessorCrashTest {
  private static final int JOBS = 40;

  @Test
  void shouldGiveEveryJobExactlyOneOutcomeAcrossAKill(@TempDir Path work) throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1500).withSeed(11));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      // Let the survivor take over the dead member's partitions quickly.
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      settings.put("http.port", "-1");

      settings.put("state.dir", work.resolve("state-a").toString());
      ProcessorJvm first = new ProcessorJvm(settings, work, "first");
      IntStream.range(0, JOBS)
          .forEach(
              i -> pipeline.send(job("crash-" + i, Pipeline.instructionHalfSlow(i, JOBS), rocket)));
      pipeline.flush();

      boolean someDone = pipeline.readUntil(() -> pipeline.outcomes() >= 5, Duration.ofSeconds(90));
      assertThat(someDone)
          .as("first instance produced outcomes; log:%n%s", first.logText())
          .isTrue();
      long callsBeforeKill = emulator.stats().requests();
      first.kill();
      int committedBeforeKill = pipeline.outcomes();
      assertThat(committedBeforeKill).as("jobs were still in flight at the kill").isLessThan(JOBS);
      assertThat(callsBeforeKill).isGreaterThan(committedBeforeKill);

      settings.put("state.dir", work.resolve("state-b").toString());
      try (ProcessorJvm second = new ProcessorJvm(settings, work, "second")) {
        boolean all =
            pipeline.readUntil(() -> pipeline.outcomes() >= JOBS, Duration.ofSeconds(120));
        assertThat(all)
            .as(
                "all %d jobs answered; got %d; second log:%n%s",
                JOBS, pipeline.outcomes(), second.logText())
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofSeconds(2)); // anything doubled would show now
      }
      assertThat(pipeline.results.keySet())
          .containsExactlyInAnyOrderElementsOf(
              IntStream.range(0, JOBS).mapToObj(i -> "crash-" + i).toList());
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.duplicateOutcomes).isZero();
    }
  }
}
