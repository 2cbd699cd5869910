package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One processor over a saturated backlog, against an emulator enforcing the same quota as the
 * processor's pool (120 RPM): never a 429, nearly all of the quota used, and another tenant's
 * single job is served within about one fair share of tenant acme's backlog.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuotaOneInstanceTest {
  private static final int RPM = 120;
  private static final int BACKLOG = 300;
  private static final Duration WINDOW = Duration.ofSeconds(30);

  private Emulator emulator;
  private Pipeline pipeline;
  private EditstreamProcessor processor;
  private long requestsInWindow;
  private Duration window;
  private EmulatorStats afterWindow;
  private EditResult beta;
  private int acmeResultsWhenBetaWasSent;
  private int acmeResultsWhenBetaArrived;

  @BeforeAll
  void run(@TempDir Path work) throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    emulator =
        Emulator.start(EmulatorConfig.defaults().withRpm(RPM).withLatencyMeanMs(100).withSeed(5));
    pipeline = new Pipeline();
    Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
    settings.put("quota.rpm", Integer.toString(RPM));
    settings.put("quota.burst", "2");
    processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
    for (int i = 0; i < BACKLOG; i++) {
      pipeline.send(job("acme-" + i, "remove the background, variant " + i, rocket));
    }
    pipeline.flush();

    // The measurement window starts at the first model call: the pool starts with no burst.
    pipeline.readUntil(() -> emulator.stats().requests() > 0, Duration.ofSeconds(60));
    long started = System.nanoTime();
    long first = emulator.stats().requests();
    assertThat(first).as("the processor calls the model").isPositive();
    pipeline.readUntil(() -> false, WINDOW); // a rate is measured over time
    afterWindow = emulator.stats();
    // The window as it really was: on a busy machine this thread can wake late.
    window = Duration.ofNanos(System.nanoTime() - started);
    requestsInWindow = afterWindow.requests() - first;

    acmeResultsWhenBetaWasSent = pipeline.results.size();
    EditJob betaJob = job("beta-0", "add a drop shadow", rocket);
    betaJob.setTenant("beta");
    pipeline.send(betaJob);
    pipeline.flush();
    pipeline.readUntil(() -> pipeline.results.containsKey("beta-0"), Duration.ofSeconds(30));
    beta = pipeline.results.get("beta-0");
    acmeResultsWhenBetaArrived = pipeline.results.size() - 1;
  }

  @AfterAll
  void stop() {
    if (processor != null) {
      processor.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void shouldNeverBeRateLimited() {
    assertThat(emulator.stats().rateLimited()).isZero();
    assertThat(pipeline.failures).isEmpty();
  }

  @Test
  void shouldUseNearlyAllOfTheQuota() {
    double quotaInWindow = RPM * window.toMillis() / 60_000.0;
    // From an empty start the pool admits (rpm - burst) per 60.5 s: 97.5 % here.
    assertThat(requestsInWindow / quotaInWindow)
        .as("%d calls in %s against %s allowed", requestsInWindow, window, quotaInWindow)
        .isGreaterThanOrEqualTo(0.90)
        .isLessThanOrEqualTo(1.0 + 2 / quotaInWindow);
  }

  @Test
  void shouldServeAnotherTenantsJobWithinAboutOneFairShare() {
    assertThat(beta).as("beta's job finished").isNotNull();
    // The backlog of acme was still there: beta did not just wait for it to drain.
    assertThat(acmeResultsWhenBetaArrived).isLessThan(BACKLOG / 2);
    // At 120 RPM a permit comes every ~0.5 s; beta waits for about one acme job ahead of it
    // (bounds with room for a busy 2-core machine: FIFO would put it behind ~200 acme jobs, ~100
    // s).
    assertThat(beta.getTimings().getQueuedMs()).isLessThan(5_000);
    // A few acme jobs finish while beta travels the topics (2 a second), not a backlog's worth.
    assertThat(acmeResultsWhenBetaArrived - acmeResultsWhenBetaWasSent).isLessThanOrEqualTo(12);
  }

  @Test
  void shouldExportTheThrottleMetrics() throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(body)
        .contains(
            "editstream_throttle_share{pool=\"gemini-3.1-flash-image-preview\",provider=\"ai-studio\"} 1.0")
        .contains("editstream_throttle_tokens{bucket=\"rpm\"")
        .contains("editstream_throttle_utilization{bucket=\"rpm\"")
        .contains("editstream_throttle_wait_seconds_count")
        .contains("editstream_throttle_queued")
        .contains("editstream_throttle_rate_limited_total");
  }
}
