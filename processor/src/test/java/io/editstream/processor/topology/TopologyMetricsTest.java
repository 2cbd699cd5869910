package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class TopologyMetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final TopologyMetrics metrics = new TopologyMetrics(registry);

  @Test
  void shouldCountTenantsBeyondTheCapAsOther() {
    for (int i = 0; i < TopologyMetrics.SAFETY_TENANTS_MAX; i++) {
      metrics.safetyBlocked("t" + i, "PROMPT_BLOCKED");
    }
    metrics.safetyBlocked("late-1", "PROMPT_BLOCKED");
    metrics.safetyBlocked("late-2", "IMAGE_SAFETY");
    metrics.safetyBlocked("t7", "IMAGE_SAFETY");

    assertThat(count("other", "PROMPT_BLOCKED")).isEqualTo(1.0);
    assertThat(count("other", "IMAGE_SAFETY")).isEqualTo(1.0);
    assertThat(count("t7", "IMAGE_SAFETY")).as("a tenant seen before the cap").isEqualTo(1.0);
    assertThat(registry.find(TopologyMetrics.SAFETY_BLOCKED).tag("tenant", "late-1").counters())
        .isEmpty();
    assertThat(
            registry.find(TopologyMetrics.SAFETY_BLOCKED).counters().stream()
                .map(c -> c.getId().getTag("tenant"))
                .distinct())
        .hasSize(TopologyMetrics.SAFETY_TENANTS_MAX + 1);
  }

  @Test
  void shouldCountAJobWithoutTenantAsNone() {
    metrics.safetyBlocked(null, "IMAGE_SAFETY");
    metrics.safetyBlocked("", "IMAGE_SAFETY");

    assertThat(count("none", "IMAGE_SAFETY")).isEqualTo(2.0);
  }

  @Test
  void shouldLeaveANewerOwnersAgeGaugeInPlaceWhenAnOldOneIsRemoved() {
    Gauge old = metrics.pendingOldestAge("1_0", () -> 5);
    Gauge newer = metrics.pendingOldestAge("1_0", () -> 7);

    metrics.removeOldestAge(old);

    assertThat(registry.find(TopologyMetrics.PENDING_OLDEST_AGE).gauge()).isSameAs(newer);
    assertThat(newer.value()).isEqualTo(7.0);
    metrics.removeOldestAge(newer);
    assertThat(registry.find(TopologyMetrics.PENDING_OLDEST_AGE).gauges()).isEmpty();
  }

  @Test
  void shouldRemoveOnlyTheGaugeOfItsOwnName() {
    Gauge pending = metrics.pendingOldestAge("1_0", () -> 5);
    Gauge batch = metrics.batchOldestAge("1_0", () -> 7200);

    metrics.removeOldestAge(pending);

    assertThat(registry.find(TopologyMetrics.PENDING_OLDEST_AGE).gauges()).isEmpty();
    assertThat(registry.find(TopologyMetrics.BATCH_OLDEST_AGE).gauge()).isSameAs(batch);
  }

  private double count(String tenant, String code) {
    return registry.counter(TopologyMetrics.SAFETY_BLOCKED, "tenant", tenant, "code", code).count();
  }
}
