package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model lifecycle through the whole processor and the emulator over HTTP (issue 19.5): Google has
 * retired the preview id, the emulator serves only the GA id. Jobs naming the alias or nothing run
 * on the GA id; jobs naming the retired id fail once each with MODEL_NOT_FOUND and a message naming
 * the setting, after one 404 from the API in all, while the GA id keeps flowing.
 */
class ModelLifecycleEndToEndTest {

  private static final String GA = "gemini-3.1-flash-image";
  private static final String RETIRED = "gemini-3.1-flash-image-preview";

  @Test
  void shouldRunAliasesOnTheGaIdAndFailARetiredIdOnceWithoutAStorm(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5).withModels(List.of(GA)));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("model.default", "nano-banana-2");
      settings.put("model.alias.nano-banana-2", GA);
      settings.put("retry.max.attempts", "5");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        pipeline.send(job("by-default", "remove the background", rocket));
        EditJob byAlias = job("by-alias", "add a drop shadow", rocket);
        byAlias.setModel("nano-banana-2");
        pipeline.send(byAlias);
        EditJob retired = job("retired-0", "crop to the product", rocket);
        retired.setModel(RETIRED);
        pipeline.send(retired);
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= 3, Duration.ofSeconds(90)))
            .as("results %s failures %s", pipeline.results.keySet(), pipeline.failures)
            .isTrue();

        // More jobs on the retired id, after its 404: no call reaches the API for them.
        for (int i = 1; i <= 4; i++) {
          EditJob more = job("retired-" + i, "crop to the product " + i, rocket);
          more.setModel(RETIRED);
          pipeline.send(more);
        }
        EditJob after = job("ga-after", "make the sky blue", rocket);
        after.setModel(GA);
        pipeline.send(after);
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.outcomes() >= 8, Duration.ofSeconds(90)))
            .as("results %s failures %s", pipeline.results.keySet(), pipeline.failures)
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofSeconds(1));

        String metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
            .contains(
                "editstream_model_not_found_total{model=\""
                    + RETIRED
                    + "\",provider=\"ai-studio\"} 1.0");
      }

      assertThat(pipeline.results.get("by-default").getModel()).isEqualTo(GA);
      assertThat(pipeline.results.get("by-alias").getModel()).isEqualTo(GA);
      assertThat(pipeline.results.get("ga-after").getModel()).isEqualTo(GA);
      for (int i = 0; i <= 4; i++) {
        EditFailure f = pipeline.failures.get("retired-" + i);
        assertThat(f).as("retired-%d failed", i).isNotNull();
        assertThat(f.getCode()).isEqualTo(FailureCode.MODEL_NOT_FOUND);
        assertThat(f.getRetryable()).isFalse();
        assertThat(f.getHttpStatus()).isEqualTo(404);
        assertThat(f.getMessage()).contains(RETIRED).contains("model.default").contains(GA);
        assertThat(f.getJob().getModel()).as("the job as sent, for replay").isEqualTo(RETIRED);
      }
      assertThat(pipeline.failures.get("retired-0").getAttempts()).isEqualTo(1);
      assertThat(emulator.stats().answers(404)).as("one 404 from the API in all").isEqualTo(1);
      assertThat(emulator.stats().requestsForModel(GA)).isEqualTo(3);
      assertThat(pipeline.duplicateOutcomes).isZero();
    }
  }
}
