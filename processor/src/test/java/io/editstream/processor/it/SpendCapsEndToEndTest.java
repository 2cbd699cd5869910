package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
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
 * Per-tenant daily budgets on real parts (broker, registry, emulator over HTTP; issue 19.1): tenant
 * acme's budget of $0.05 pays for one 512 px edit (about $0.046 at the default prices), so its
 * second and third jobs are held without a call, answered as HELD by GET /jobs with the reason,
 * while tenant beta's jobs all flow. The emulator counts the calls.
 */
class SpendCapsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldHoldATenantOverItsBudgetWhileAnotherTenantsJobsFlow(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(11));
        Pipeline pipeline = new Pipeline(2)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("tenant.budget.usd.per.day", "acme:0.05");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        // Until the processor owns every partition its share of the budget is smaller.
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (String id : List.of("a0", "b0", "b1", "b2")) {
          send(pipeline, tenantJob(id, rocket));
        }
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () -> List.of("a0", "b0", "b1", "b2").stream().allMatch(pipeline::answered),
                    Duration.ofSeconds(90)))
            .as("results %s, failures %s", pipeline.results.keySet(), pipeline.failures.keySet())
            .isTrue();

        send(pipeline, tenantJob("a1", rocket));
        send(pipeline, tenantJob("a2", rocket));
        send(pipeline, tenantJob("b3", rocket));
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.answered("b3"), Duration.ofSeconds(60)))
            .isTrue();

        for (String held : List.of("a1", "a2")) {
          JsonNode state = awaitHeld(processor, held, pipeline);
          assertThat(state.path("lastError").asText())
              .contains("tenant 'acme'", "$0.05 budget", "tenant.budget.usd.per.day");
        }
        pipeline.readToCommittedEnd(Duration.ofSeconds(10));
        assertThat(pipeline.results).containsOnlyKeys("a0", "b0", "b1", "b2", "b3");
        assertThat(pipeline.failures).isEmpty();
        assertThat(pipeline.duplicateOutcomes).isZero();
        assertThat(emulator.stats().requests()).as("model calls").isEqualTo(5);
        String metrics = get(processor, "/metrics");
        assertThat(metrics)
            .containsPattern("editstream_tenant_over_cap_total\\{tenant=\"acme\"} [2-9]\\.0")
            .containsPattern("editstream_tenant_spend_usd\\{tenant=\"acme\"} 0\\.04");
      }
    }
  }

  private static EditJob tenantJob(String id, byte[] image) {
    EditJob job = job(id, "remove the background, job " + id, image);
    job.setTenant(id.startsWith("a") ? "acme" : "beta");
    return job;
  }

  /** The job's state as GET /jobs/{id} answers it, once it is HELD (its hold may take a tick). */
  private JsonNode awaitHeld(EditstreamProcessor p, String jobId, Pipeline pipeline)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode state = JSON.readTree(get(p, "/jobs/" + jobId));
    while (!"HELD".equals(state.path("state").asText()) && System.nanoTime() < deadline) {
      pipeline.readUntil(() -> false, Duration.ofMillis(100));
      state = JSON.readTree(get(p, "/jobs/" + jobId));
    }
    assertThat(state.path("state").asText()).as("%s: %s", jobId, state).isEqualTo("HELD");
    return state;
  }

  private String get(EditstreamProcessor p, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.httpPort() + path))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Keyed by jobId, as editstream submit sends jobs. */
  private static void send(Pipeline pipeline, EditJob job) {
    pipeline.sendRaw(job.getJobId().toString(), pipeline.frame(job));
  }
}
