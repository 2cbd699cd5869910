package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.throttle.SpendCaps.Use;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SpendCapsTest {
  private static final LocalDate DAY = LocalDate.of(2026, 12, 3);
  private final AtomicReference<Double> share = new AtomicReference<>(1.0);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private SpendCaps caps(SpendCaps.Caps c) {
    return new SpendCaps(c, (in, out, images) -> in * 2e-6 + out * 60e-6, share::get, meters);
  }

  @Test
  void shouldAdmitEverythingWhenTheTenantHasNoCap() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 1.0), null, Map.of(), null, false));
    assertThat(caps.enabled()).isTrue();
    assertThat(caps.refusal("beta", DAY, new Use(1_000_000_000, 1_000))).isEmpty();
    assertThat(caps(SpendCaps.Caps.NONE).enabled()).isFalse();
  }

  @Test
  void shouldEstimateAJobAtTheConfiguredPrices() {
    SpendCaps caps = caps(SpendCaps.Caps.NONE);
    // 2 turns of a 1K image: 2 requests, 2 images, 1,000 input tokens.
    Use estimate = caps.estimate(new Cost(2, 2, 1_000), 1120);
    assertThat(estimate).isEqualTo(new Use(Math.round((1_000 * 2e-6 + 2240 * 60e-6) * 1e6), 2));
  }

  @Test
  void shouldRefuseAJobThatWouldTakeItsTenantOverTheBudgetNamingTheSetting() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 0.10), null, Map.of(), null, false));
    caps.add("acme", DAY, new Use(60_000, 1));

    assertThat(caps.refusal("acme", DAY, new Use(40_000, 1))).as("exactly the budget").isEmpty();
    assertThat(caps.refusal("acme", DAY, new Use(40_001, 1)))
        .get()
        .asString()
        .contains("tenant 'acme' has spent $0.0600 of its $0.10 budget for 2026-12-03")
        .contains("tenant.budget.usd.per.day");
    assertThat(caps.refusal("acme", DAY.plusDays(1), new Use(40_001, 1))).as("a new day").isEmpty();
  }

  @Test
  void shouldApplyTheDefaultsToTenantsNotListed() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 5.0), 0.05, Map.of(), 2L, false));
    assertThat(caps.refusal("beta", DAY, new Use(60_000, 1))).get().asString().contains("$0.05");
    assertThat(caps.refusal("acme", DAY, new Use(60_000, 1))).isEmpty();
    caps.add("acme", DAY, new Use(0, 2));
    assertThat(caps.refusal("acme", DAY, new Use(0, 1)))
        .get()
        .asString()
        .contains("made 2 of its 2 model requests", "tenant.requests.default.per.day");
  }

  @Test
  void shouldAdmitAgainstThisInstancesShareOfTheCap() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 1.0), null, Map.of(), null, false));
    share.set(0.5);
    caps.add("acme", DAY, new Use(400_000, 1));
    assertThat(caps.refusal("acme", DAY, new Use(100_000, 1))).isEmpty();
    assertThat(caps.refusal("acme", DAY, new Use(100_001, 1)))
        .get()
        .asString()
        .contains("this instance's share 0.50");
  }

  @Test
  void shouldTakeATasksCountAwayWhenItLeaves() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 1.0), null, Map.of(), null, false));
    caps.add("acme", DAY, new Use(900_000, 3));
    caps.remove("acme", DAY, new Use(900_000, 3));
    assertThat(caps.used("acme", DAY)).isEqualTo(Use.NONE);
    assertThat(caps.refusal("acme", DAY, new Use(1_000_000, 1))).isEmpty();
  }

  @Test
  void shouldReportTodaysSpendPerTenant() {
    SpendCaps caps = caps(new SpendCaps.Caps(Map.of("acme", 1.0), null, Map.of(), null, false));
    caps.add("acme", DAY, new Use(250_000, 1));
    assertThat(meters.get("editstream.tenant.spend.usd").tag("tenant", "acme").gauge().value())
        .isEqualTo(0.25);
  }
}
