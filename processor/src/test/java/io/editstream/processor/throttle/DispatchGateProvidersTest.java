package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.schema.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The gate over two providers' pools: who admits, where the call goes, who is corrected. */
class DispatchGateProvidersTest {
  private static final String MODEL = "flash";
  private static final Cost ONE = Cost.of(1, 1000);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final InFlightLimit inFlight = new InFlightLimit(100, meters);
  private final Set<String> down = new HashSet<>();
  private final Map<String, TaskGate.Grant> grants = new HashMap<>();

  /** ai-studio: 600 RPM burst 3 (600k TPM); vertex: 300 RPM burst 2 (300k TPM). */
  private DispatchGate gate() {
    Map<String, QuotaLimits> limits =
        Map.of(
            "ai-studio", new QuotaLimits(600, 0, 600_000, 0, 3),
            "vertex", new QuotaLimits(300, 0, 300_000, 0, 2));
    return new DispatchGate(
        inFlight,
        1,
        List.of("ai-studio", "vertex"),
        (model, provider) ->
            QuotaPool.builder(model, limits.get(provider))
                .provider(provider)
                .ticker(nanos::get)
                .meterRegistry(meters)
                .build(),
        provider -> !down.contains(provider),
        Map.of(),
        1.0,
        1_000,
        meters);
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  private static QuotaPool.Snapshot pool(DispatchGate gate, String provider) {
    return gate.pools().get(MODEL).get(provider);
  }

  @Test
  void shouldPinEachCallToTheProviderWhosePoolAdmittedIt() {
    DispatchGate gate = gate();
    TaskGate a = gate.register("1_0");
    for (int i = 0; i < 8; i++) {
      submit(a, "j" + i, MODEL, "t", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1));

    List<String> taken = take(a);

    assertThat(taken).containsExactly("j0", "j1", "j2", "j3", "j4");
    assertThat(taken.stream().map(j -> route(j)))
        .containsExactly("ai-studio", "ai-studio", "ai-studio", "vertex", "vertex");
    assertThat(gate.admitted().get(MODEL))
        .containsEntry("ai-studio", 3L)
        .containsEntry("vertex", 2L);
    assertThat(
            meters
                .get("editstream.throttle.share")
                .tags("pool", MODEL, "provider", "vertex")
                .gauge()
                .value())
        .isEqualTo(1.0);
  }

  @Test
  void shouldSendA429AndTheTokenCorrectionToTheAdmittingProvidersPool() {
    DispatchGate gate = gate();
    TaskGate a = gate.register("1_0");
    for (int i = 0; i < 5; i++) {
      submit(a, "j" + i, MODEL, "t", Priority.BULK, ONE);
    }
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).hasSize(5);
    double vertexTokens = tokens(pool(gate, "vertex"));
    double studioTokens = tokens(pool(gate, "ai-studio"));

    a.settle("j3", new Settlement.Used(null, 400L)); // vertex: over-estimated by 600
    assertThat(tokens(pool(gate, "vertex"))).isEqualTo(vertexTokens + 600);
    assertThat(tokens(pool(gate, "ai-studio"))).isEqualTo(studioTokens);

    a.settle("j4", new Settlement.RateLimited(null, Duration.ofSeconds(9), false));

    assertThat(tokens(pool(gate, "ai-studio"))).isEqualTo(studioTokens);
    assertThat(pool(gate, "ai-studio").rateLimited()).isZero();
    assertThat(pool(gate, "vertex").rateLimited()).isEqualTo(1);
    assertThat(pool(gate, "vertex").pausedFor()).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void shouldPauseThePoolOfTheProviderThatAnswered429AfterTheRouterMovedTheCall() {
    DispatchGate gate = gate();
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("j");
    assertThat(route("j")).isEqualTo("ai-studio");

    // ai-studio was down within the call; vertex took it over and answered 429.
    a.settle("j", new Settlement.RateLimited("vertex", Duration.ofSeconds(7), false));

    assertThat(pool(gate, "vertex").rateLimited()).isEqualTo(1);
    assertThat(pool(gate, "vertex").pausedFor()).isEqualTo(Duration.ofSeconds(7));
    assertThat(pool(gate, "ai-studio").rateLimited()).isZero();
    assertThat(inFlight.inFlight()).isZero();
  }

  @Test
  void shouldChargeTheProviderThatServedACallTheRouterMovedWithinTheCall() {
    DispatchGate gate = gate();
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, ONE);
    advance(Duration.ofMinutes(1));
    assertThat(take(a)).containsExactly("j");
    assertThat(route("j")).isEqualTo("ai-studio");
    double vertexRequests = requests(pool(gate, "vertex"));
    double studioRequests = requests(pool(gate, "ai-studio"));

    a.settle("j", new Settlement.Used("vertex", 1000L)); // ai-studio failed, vertex answered

    assertThat(requests(pool(gate, "vertex"))).isEqualTo(vertexRequests - 1);
    assertThat(requests(pool(gate, "ai-studio"))).isEqualTo(studioRequests);
    assertThat(inFlight.inFlight()).isZero();
  }

  @Test
  void shouldOnlyAdmitAPinnedJobOnItsProviderAndLetOthersPass() {
    DispatchGate gate = gate();
    TaskGate a = gate.register("1_0");
    down.add("ai-studio"); // circuit open at the router
    submit(a, "pinned", MODEL, "t", Priority.INTERACTIVE, ONE, "ai-studio");
    submit(a, "free", MODEL, "t", Priority.BULK, ONE, null);
    submit(a, "elsewhere", MODEL, "t", Priority.BULK, ONE, "vertex");
    advance(Duration.ofMinutes(1));

    assertThat(take(a)).containsExactly("free", "elsewhere");
    assertThat(route("free")).isEqualTo("vertex");
    assertThat(gate.queued()).isEqualTo(1);

    down.clear();
    assertThat(take(a)).containsExactly("pinned");
    assertThat(route("pinned")).isEqualTo("ai-studio");
  }

  @Test
  void shouldNotPinCallsWithASingleProvider() {
    DispatchGate gate =
        new DispatchGate(
            inFlight,
            1,
            List.of("ai-studio"),
            (model, provider) ->
                QuotaPool.builder(model, new QuotaLimits(0, 0, 0, 0, 1)).ticker(nanos::get).build(),
            provider -> true,
            Map.of(),
            1.0,
            1_000,
            meters);
    TaskGate a = gate.register("1_0");
    submit(a, "j", MODEL, "t", Priority.BULK, ONE);

    assertThat(take(a)).containsExactly("j");
    assertThat(route("j")).isNull();
  }

  private static double requests(QuotaPool.Snapshot pool) {
    return pool.buckets().get(Bucket.REQUESTS_PER_MINUTE).available();
  }

  private static double tokens(QuotaPool.Snapshot pool) {
    return pool.buckets().get(Bucket.INPUT_TOKENS_PER_MINUTE).available();
  }

  private static Throttle.Submission submit(
      TaskGate task, String jobId, String model, String tenant, Priority priority, Cost cost) {
    return submit(task, jobId, model, tenant, priority, cost, null);
  }

  private static Throttle.Submission submit(
      TaskGate task,
      String jobId,
      String model,
      String tenant,
      Priority priority,
      Cost cost,
      String provider) {
    return task.submit(new TaskGate.Demand(jobId, model, tenant, priority, cost, provider));
  }

  /** Takes the task's grants, remembering each one's route for {@link #route}. */
  private List<String> take(TaskGate task) {
    List<TaskGate.Grant> handedOut = task.take();
    handedOut.forEach(g -> grants.put(g.jobId(), g));
    return handedOut.stream().map(TaskGate.Grant::jobId).toList();
  }

  private String route(String jobId) {
    return grants.get(jobId).route();
  }
}
