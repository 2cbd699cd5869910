package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Providers as configuration, through the whole processor: AI Studio answers every call with a 5xx,
 * so each job fails over to WaveSpeedAI within its attempt; a job pinned to AI Studio stays there
 * and fails. Each job gets exactly one outcome, and results say who served them and the cost.
 */
class ProviderFailoverEndToEndTest {

  @Test
  @SuppressWarnings("try") // the processor only has to run while the body works
  void shouldFailOverToTheNextProviderAndRecordIt(@TempDir Path work) throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator google =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5).withErrorRate(1.0));
        Emulator wavespeed =
            Emulator.start(
                EmulatorConfig.defaults().withLatencyMeanMs(5).withBearerToken("ws-key-0123"));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(google.baseUrl(), work);
      settings.put("model.providers", "ai-studio,wavespeed");
      settings.put("wavespeed.api.key", "ws-key-0123");
      settings.put("wavespeed.base.url", wavespeed.baseUrl());
      settings.put("wavespeed.poll.initial.ms", "20");
      settings.put("wavespeed.poll.max.ms", "50");
      settings.put("price.wavespeed.per.image", "0.05");
      settings.put("retry.max.attempts", "2");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        for (int i = 0; i < 4; i++) {
          pipeline.send(job("fo-" + i, "remove the background " + i, rocket));
        }
        EditJob pinned = job("pinned", "remove the background, pinned", rocket);
        pinned.getAttributes().put("editstream.provider", "ai-studio");
        pipeline.send(pinned);
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= 5, Duration.ofSeconds(90)))
            .as("results %s failures %s", pipeline.results.keySet(), pipeline.failures)
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofSeconds(1));
      }
      for (int i = 0; i < 4; i++) {
        EditResult r = pipeline.results.get("fo-" + i);
        assertThat(r).as("fo-%d served", i).isNotNull();
        assertThat(r.getProvider()).isEqualTo("wavespeed");
        assertThat(r.getEstimatedCostUsd()).isEqualTo(0.05);
        assertThat(r.getImages()).hasSize(1);
      }
      assertThat(pipeline.failures.get("pinned")).isNotNull();
      assertThat(pipeline.failures.get("pinned").getRetryable()).isTrue();
      assertThat(pipeline.duplicateOutcomes).isZero();
      assertThat(wavespeed.stats().requests()).isPositive();
    }
  }
}
