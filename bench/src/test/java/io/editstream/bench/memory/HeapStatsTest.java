package io.editstream.bench.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeapStatsTest {

  @Test
  void shouldKeepTheHighestSampleAndTheHighestLiveDataSeparately() {
    HeapStats stats = new HeapStats();
    stats.used(300);
    stats.live(120, true);
    stats.used(500);
    stats.live(90, true);
    stats.used(200);

    HeapStats.Summary s = stats.summary();

    assertThat(s.peakUsedBytes()).isEqualTo(500);
    assertThat(s.maxLiveBytes()).isEqualTo(120);
    assertThat(s.lastLiveBytes()).isEqualTo(90);
    assertThat(s.usedSamples()).isEqualTo(5);
    assertThat(s.liveSamples()).isEqualTo(2);
  }

  @Test
  void shouldCountALiveSampleAsHeapInUse() {
    HeapStats stats = new HeapStats();
    stats.used(100);
    stats.live(400, false);

    assertThat(stats.summary().peakUsedBytes()).isEqualTo(400);
  }

  @Test
  void shouldTakeTheMedianOfTheSamplesWhileDrainingOnly() {
    HeapStats stats = new HeapStats();
    stats.live(5, false); // before the first outcome: an idle heap
    stats.live(50, true);
    stats.live(10, true);
    stats.live(30, true);
    stats.live(7, false); // after the drain

    HeapStats.Summary s = stats.summary();

    assertThat(s.medianDrainingLiveBytes()).isEqualTo(30);
    assertThat(s.maxLiveBytes()).isEqualTo(50);
    assertThat(s.lastLiveBytes()).isEqualTo(7);
    assertThat(new HeapStats().summary().medianDrainingLiveBytes()).isZero();
  }

  @Test
  void shouldRejectNegativeBytes() {
    assertThatThrownBy(() -> new HeapStats().used(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heap bytes");
  }
}
