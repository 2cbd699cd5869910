package io.editstream.bench.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeapStatsTest {

  @Test
  void shouldKeepTheHighestSampleAndTheHighestLiveDataSeparately() {
    HeapStats stats = new HeapStats();
    stats.used(300);
    stats.live(120);
    stats.used(500);
    stats.live(90);
    stats.used(200);

    HeapStats.Summary s = stats.summary();

    assertThat(s.peakUsedBytes()).isEqualTo(500);
    assertThat(s.maxLiveBytes()).isEqualTo(120);
    assertThat(s.medianLiveBytes()).isEqualTo(90);
    assertThat(s.usedSamples()).isEqualTo(5);
    assertThat(s.liveSamples()).isEqualTo(2);
  }

  @Test
  void shouldCountALiveSampleAsHeapInUse() {
    HeapStats stats = new HeapStats();
    stats.used(100);
    stats.live(400);

    assertThat(stats.summary().peakUsedBytes()).isEqualTo(400);
  }

  @Test
  void shouldTakeTheMiddleLiveSample() {
    HeapStats stats = new HeapStats();
    stats.live(50);
    stats.live(10);
    stats.live(30);

    assertThat(stats.summary().medianLiveBytes()).isEqualTo(30);
    assertThat(new HeapStats().summary().medianLiveBytes()).isZero();
  }

  @Test
  void shouldRejectNegativeBytes() {
    assertThatThrownBy(() -> new HeapStats().used(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heap bytes");
  }
}
