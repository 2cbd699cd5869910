package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-provider pools wired into the topology, on a fake clock: a backlog is spread over both
 * providers' pools at their rates, each call goes to the provider whose pool admitted it, and a job
 * that names a provider reaches only that provider.
 */
class ProviderPoolsWiringTest {
  private static final String MODEL = TopologyHarness.MODEL;

  @TempDir Path stateDir;

  private final FakeTime time = new FakeTime(Instant.ofEpochMilli(1_700_000_000_000L));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  // jobId -> the provider the dispatcher was told to call
  private final Map<String, String> calledOn = new ConcurrentHashMap<>();
  private TopologyHarness harness;
  private TestInputTopic<byte[], byte[]> jobs;
  private TestOutputTopic<String, EditResult> results;
  private DispatchGate gate;

  /** Answers at once, as the provider it was told to call (as the router does). */
  private final Dispatcher dispatcher =
      new Dispatcher() {
        @Override
        public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber) {
          return attempt(job, attemptNumber, null);
        }

        @Override
        public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber, String provider) {
          String named = job.getAttributes().get("editstream.provider");
          String served = named != null ? named : provider;
          calledOn.put(job.getJobId(), String.valueOf(served));
          return CompletableFuture.completedFuture(
              TopologyHarness.imageless(false, "ck-" + job.getJobId(), served, null));
        }
      };

  @BeforeEach
  void start() {
    gate =
        new DispatchGate(
            new InFlightLimit(8, meters),
            1,
            List.of("ai-studio", "wavespeed"),
            (model, provider) ->
                QuotaPool.builder(model, QuotaLimits.perMinute(60, 1))
                    .provider(provider)
                    .ticker(time.nanos::get)
                    .window(Duration.ofSeconds(60))
                    .meterRegistry(meters)
                    .build(),
            provider -> true,
            Map.of(),
            1.0,
            10_000,
            meters);
    JobRuntime runtime =
        TopologyHarness.runtime(dispatcher, gate, time, new TopologyMetrics(meters));
    harness = new TopologyHarness(runtime, "provider-pools-wiring-test", stateDir);
    jobs = harness.jobs;
    results = harness.results;
  }

  @AfterEach
  void tearDown() {
    if (harness != null) {
      harness.close();
    }
  }

  private void submit(String id, String provider) {
    EditJob job = EditstreamTopologyTest.job(id, "remove the background " + id);
    job.setPriority(Priority.BULK);
    Map<String, String> attributes = new HashMap<>(job.getAttributes());
    if (provider != null) {
      attributes.put("editstream.provider", provider);
    }
    job.setAttributes(attributes);
    harness.submit(id, job);
  }

  /** Moves the fake time and the driver's wall clock together, one punctuation at a time. */
  private void run(Duration d) {
    harness.run(time, d);
  }

  @Test
  void shouldSpreadABacklogOverBothProvidersPoolsAtTheirRates() {
    for (int i = 0; i < 20; i++) {
      submit("j" + i, null);
    }
    run(Duration.ofMillis(4_500)); // each pool: 59 per 60 s from empty, 4.4 permits

    Map<String, Long> byProvider =
        calledOn.values().stream().collect(Collectors.groupingBy(p -> p, Collectors.counting()));
    assertThat(byProvider).containsOnlyKeys("ai-studio", "wavespeed");
    assertThat(byProvider.get("ai-studio")).isEqualTo(4);
    assertThat(byProvider.get("wavespeed")).isEqualTo(4);
    assertThat(gate.admitted().get(MODEL)).isEqualTo(byProvider);
    assertThat(
            results.readValuesToList().stream()
                .collect(Collectors.groupingBy(EditResult::getProvider, Collectors.counting())))
        .isEqualTo(byProvider);
  }

  @Test
  void shouldSendAJobThatNamesAProviderOnlyThroughThatProvidersPool() {
    for (int i = 0; i < 6; i++) {
      submit("studio-" + i, "ai-studio");
    }
    submit("free", null);
    run(Duration.ofMillis(3_200)); // 3.1 permits per pool

    // The pinned backlog uses only ai-studio's permits; the free job takes wavespeed's.
    assertThat(calledOn).containsEntry("free", "wavespeed");
    assertThat(calledOn.keySet().stream().filter(j -> j.startsWith("studio-"))).hasSize(3);
    assertThat(gate.admitted().get(MODEL))
        .containsEntry("ai-studio", 3L)
        .containsEntry("wavespeed", 1L);
  }
}
