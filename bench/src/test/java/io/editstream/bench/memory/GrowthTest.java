package io.editstream.bench.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GrowthTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void shouldCompareTheSmallestWithTheLargestBacklog() {
    String g =
        MemoryBench.growth(
            List.of(
                new MemoryBench.Point(5000, 120 * MIB, 160 * MIB),
                new MemoryBench.Point(500, 100 * MIB, 128 * MIB),
                new MemoryBench.Point(2500, 500 * MIB, 900 * MIB)));

    assertThat(g)
        .isEqualTo(
            "backlog ×10 (500 → 5,000 jobs): median live heap while draining ×1.20"
                + " (100 MiB → 120 MiB), max ×1.25");
  }

  @Test
  void shouldSayNothingWithOneBacklogSizeOrNoSamples() {
    assertThat(MemoryBench.growth(List.of(new MemoryBench.Point(500, MIB, MIB)))).isEmpty();
    assertThat(
            MemoryBench.growth(
                List.of(new MemoryBench.Point(500, 0, 0), new MemoryBench.Point(5000, MIB, MIB))))
        .isEmpty();
  }
}
