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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two providers, each with its own quota enforced by its own emulator (AI Studio and WaveSpeedAI,
 * 120 RPM each) and configured as its own pool: a backlog larger than one pool is served by both
 * (the overflow of the first goes to the second), never answered 429 by either, and every job gets
 * exactly one outcome. Jobs that name a provider are served by it.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
class ProviderPoolsEndToEndTest {
  private static final int RPM = 120;
  private static final int BACKLOG = 50;

  @Test
  void shouldOverflowFromTheFirstProvidersPoolToTheSecondsWithoutA429(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator google =
            Emulator.start(
                EmulatorConfig.defaults().withRpm(RPM).withLatencyMeanMs(50).withSeed(3));
        Emulator wavespeed =
            Emulator.start(
                EmulatorConfig.defaults()
                    .withRpm(RPM)
                    .withLatencyMeanMs(50)
                    .withSeed(4)
                    .withBearerToken("ws-key-0123"));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(google.baseUrl(), work);
      settings.put("model.providers", "ai-studio,wavespeed");
      settings.put("quota.rpm", Integer.toString(RPM)); // AI Studio's pool, as before
      settings.put("quota.burst", "2");
      settings.put("provider.wavespeed.quota.rpm", Integer.toString(RPM));
      settings.put("provider.wavespeed.quota.burst", "2");
      settings.put("wavespeed.api.key", "ws-key-0123");
      settings.put("wavespeed.base.url", wavespeed.baseUrl());
      settings.put("wavespeed.poll.initial.ms", "20");
      settings.put("wavespeed.poll.max.ms", "50");
      settings.put("price.wavespeed.per.image", "0.05");
      Map<String, Map<String, Long>> admitted;
      String metrics;
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        for (int i = 0; i < BACKLOG; i++) {
          pipeline.send(job("pool-" + i, "remove the background, variant " + i, rocket));
        }
        EditJob toStudio = job("pinned-studio", "add a drop shadow, studio", rocket);
        toStudio.getAttributes().put("editstream.provider", "ai-studio");
        EditJob toWavespeed = job("pinned-wavespeed", "add a drop shadow, wavespeed", rocket);
        toWavespeed.getAttributes().put("editstream.provider", "wavespeed");
        pipeline.send(toStudio);
        pipeline.send(toWavespeed);
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () -> pipeline.outcomes() >= BACKLOG + 2, Duration.ofSeconds(90)))
            .as("results %s failures %s", pipeline.results.size(), pipeline.failures)
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofMillis(500)); // no late duplicates
        admitted = processor.gate().admitted();
        metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
      }

      // Exactly one outcome per job, all of them images.
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.results).hasSize(BACKLOG + 2);
      assertThat(pipeline.duplicateOutcomes).isZero();
      // Each provider's calls stayed within its own quota: its emulator never answered 429.
      assertThat(google.stats().rateLimited()).isZero();
      assertThat(wavespeed.stats().rateLimited()).isZero();

      Map<String, Long> served =
          pipeline.results.values().stream()
              .collect(Collectors.groupingBy(EditResult::getProvider, Collectors.counting()));
      // One pool alone admits ~2 a second from an empty start: both served a large part.
      assertThat(served.keySet()).containsExactlyInAnyOrder("ai-studio", "wavespeed");
      assertThat(served.get("ai-studio")).isGreaterThanOrEqualTo(BACKLOG / 4);
      assertThat(served.get("wavespeed")).isGreaterThanOrEqualTo(BACKLOG / 4);
      // The pool that admitted a call is the provider that served it.
      assertThat(admitted.get("gemini-3.1-flash-image-preview")).isEqualTo(Map.copyOf(served));
      assertThat(pipeline.results.get("pinned-studio").getProvider()).isEqualTo("ai-studio");
      assertThat(pipeline.results.get("pinned-wavespeed").getProvider()).isEqualTo("wavespeed");
      assertThat(google.stats().generateContentByModel().values().stream().mapToLong(l -> l).sum())
          .isEqualTo(served.get("ai-studio"));
      assertThat(metrics)
          .contains(
              "editstream_throttle_admitted_total{pool=\"gemini-3.1-flash-image-preview\","
                  + "provider=\"wavespeed\"}")
          .contains(
              "editstream_throttle_share{pool=\"gemini-3.1-flash-image-preview\","
                  + "provider=\"wavespeed\"} 1.0");
    }
  }
}
