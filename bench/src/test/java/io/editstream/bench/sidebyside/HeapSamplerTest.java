package io.editstream.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeapSamplerTest {

  @Test
  void shouldKeepTheHighestPeaksAndSkipOtherAndCutLines() {
    List<String> out =
        List.of("@@heap 100 40", "some log line", "@@heap 300 20", "@@heap 200 90", "@@heap 5");

    assertThat(HeapSampler.lastPeaks(out)).containsExactly(300L, 90L);
  }
}
