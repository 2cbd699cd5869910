package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean stop (a rolling restart, an instance leaving) lets the model calls in flight finish and
 * commits their outcomes before it hands the tasks over: the next owner does not call the model
 * (and pay) for them again.
 */
class CleanStopEndToEndTest {
  private static final int JOBS = 12;

  @Test
  @SuppressWarnings("try") // the processor only has to run while the body works
  void aCleanStopFinishesItsCallsInFlightInsteadOfHandingThemBack(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(3000).withSeed(31));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("http.port", "-1");
      settings.put("model.max.in.flight", "6");

      EditstreamProcessor first =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
      IntStream.range(0, JOBS)
          .forEach(i -> pipeline.send(job("stop-" + i, "remove the background " + i, rocket)));
      pipeline.flush();
      await()
          .atMost(Duration.ofSeconds(60))
          .alias("calls in flight when the stop begins")
          .until(() -> emulator.stats().currentConcurrent() >= 6);
      long callsAtStop = emulator.stats().requests();
      first.close();
      assertThat(pipeline.readToCommittedEnd(Duration.ofSeconds(30))).isTrue();
      long outcomesAtStop = pipeline.outcomes();

      try (EditstreamProcessor second =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= JOBS, Duration.ofSeconds(90)))
            .as("all jobs answered; got %d", pipeline.outcomes())
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofSeconds(2)); // anything doubled would show now
      }
      assertThat(callsAtStop).as("calls started before the stop").isGreaterThanOrEqualTo(6);
      assertThat(outcomesAtStop)
          .as("the calls in flight at the stop were answered before it returned")
          .isGreaterThanOrEqualTo(callsAtStop);
      assertThat(emulator.stats().requests())
          .as("model calls: one per job, none made again by the next owner")
          .isEqualTo(JOBS);
      assertThat(pipeline.doubled).isEmpty();
      assertThat(pipeline.results).hasSize(JOBS);
    }
  }
}
