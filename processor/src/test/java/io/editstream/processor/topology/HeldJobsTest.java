package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.config.ProcessorConfig.SafetyStrikes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parked jobs of held tenants, and the tenant holds they follow. */
class HeldJobsTest {
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TenantHolds holds =
      new TenantHolds(new SafetyStrikes(5, Duration.ofHours(1), SafetyStrikes.Action.HOLD), meters);
  private final HeldJobs parked = new HeldJobs();

  @Test
  void shouldReleaseAReleasedTenantsJobsOnceInParkingOrderAndKeepTheOthers() {
    holds.update(hold("acme", true, 1_000));
    holds.update(hold("globex", true, 1_000));
    parked.park("acme", "a2");
    parked.park("globex", "g1");
    parked.park("acme", "a1");
    parked.park("acme", "a2"); // parked again: released once
    assertThat(parked.released(holds)).isEmpty();

    holds.update(hold("acme", false, 2_000));
    assertThat(parked.released(holds)).containsExactly("a2", "a1");
    assertThat(parked.released(holds)).isEmpty();
    assertThat(parked.size()).isEqualTo(1);

    holds.forget("globex");
    assertThat(parked.released(holds)).containsExactly("g1");
    assertThat(parked.size()).isZero();
  }

  @Test
  void shouldAnswerHeldOnlyForTheLastRecordSayingSoAndGaugeIt() {
    assertThat(holds.isHeld("acme")).isFalse();
    holds.update(hold("acme", true, 1_000));
    holds.update(hold("", true, 1_000));
    assertThat(holds.isHeld("acme")).isTrue();
    assertThat(holds.isHeld(null)).as("no tenant is the tenant ''").isTrue();
    assertThat(holds.held()).containsOnlyKeys("", "acme");
    assertThat(meters.get(TenantHolds.HELD_GAUGE).tag("tenant", "acme").gauge().value())
        .isEqualTo(1.0);
    assertThat(meters.get(TenantHolds.HELD_GAUGE).tag("tenant", "none").gauge().value())
        .isEqualTo(1.0);

    holds.update(hold("acme", false, 2_000));
    assertThat(holds.isHeld("acme")).isFalse();
    assertThat(meters.get(TenantHolds.HELD_GAUGE).tag("tenant", "acme").gauge().value())
        .isEqualTo(0.0);
  }

  private static TenantHolds.Hold hold(String tenant, boolean held, long at) {
    return new TenantHolds.Hold(
        tenant, held, at, held ? 5 : 0, Duration.ofHours(1), List.of(), "test", null);
  }
}
