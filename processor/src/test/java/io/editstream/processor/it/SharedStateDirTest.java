package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processors on one host with the same {@code state.dir} (the default, or replicas sharing one
 * volume): each takes its own slot under it, both run and share the work. Kafka Streams alone
 * allows one instance per state directory, so the second used to fail at start-up.
 */
class SharedStateDirTest {

  @Test
  void shouldRunTwoInstancesSharingOneStateDirBase(@TempDir Path work) throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(3));
        Pipeline pipeline = new Pipeline(4)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("http.port", "-1");
      Path shared = work.resolve("shared-state");
      settings.put("state.dir", shared.toString());
      Map<String, String> second = new HashMap<>(settings);
      second.put("blob.dir", work.resolve("blobs-b").toString());

      try (EditstreamProcessor a = EditstreamProcessor.start(config(settings));
          EditstreamProcessor b = EditstreamProcessor.start(config(second))) {
        assertThat(a.awaitRunning(Duration.ofSeconds(60))).as("first instance running").isTrue();
        assertThat(b.awaitRunning(Duration.ofSeconds(60))).as("second instance running").isTrue();
        for (int i = 0; i < 20; i++) {
          pipeline.send(job("shared-" + i, "add a drop shadow, variant " + i, rocket));
        }
        pipeline.flush();

        assertThat(pipeline.readUntil(() -> pipeline.outcomes() == 20, Duration.ofSeconds(90)))
            .as("every job answered")
            .isTrue();
        assertThat(pipeline.failures).isEmpty();
        assertThat(pipeline.duplicateOutcomes).isZero();
        assertThat(a.state().isRunningOrRebalancing()).isTrue();
        assertThat(b.state().isRunningOrRebalancing()).isTrue();
        assertThat(Files.isDirectory(shared.resolve("instance-0"))).isTrue();
        assertThat(Files.isDirectory(shared.resolve("instance-1"))).isTrue();
      }
    }
  }

  private static ProcessorConfig config(Map<String, String> settings) {
    return ProcessorConfig.from(Settings.of(settings));
  }
}
