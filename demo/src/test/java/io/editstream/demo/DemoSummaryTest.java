package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {

  private static DemoSummary summary(long modelCalls, List<String> missing) {
    return new DemoSummary(
        "emulator (600 ms mean latency)",
        "local directory",
        10,
        9,
        3,
        Map.of("PROMPT_BLOCKED", 1, "IMAGE_SAFETY", 2),
        0,
        missing,
        0,
        modelCalls,
        modelCalls < 0 ? Map.of() : Map.of(503, 1L, 200, 8L),
        11,
        2207,
        6494,
        0.39,
        15_580,
        4_908,
        2_341,
        4_512,
        20_580,
        "/tmp/out",
        "/tmp/out/report.html",
        List.of("images/a.png"),
        Map.of("inline", 1));
  }

  @Test
  void shouldPrintEveryRowAlignedInATable() {
    String table = summary(9, List.of()).table();
    List<String> lines = table.lines().toList();
    assertThat(lines).allMatch(l -> l.length() == lines.get(0).length());
    assertThat(table)
        .contains("| jobs submitted   | 10")
        .contains("9 (3 from the dedup cache, 6 new)")
        .contains("3 (IMAGE_SAFETY 2, PROMPT_BLOCKED 1)")
        .contains("9 (answers by HTTP status: 200 x8, 503 x1)")
        .contains("2,207 in + 6,494 out = 8,701")
        .contains("20.6 s")
        .doesNotContain("NO OUTCOME");
  }

  @Test
  void shouldFlagJobsWithoutOutcome() {
    DemoSummary s = summary(9, List.of("cat-studio"));
    assertThat(s.complete()).isFalse();
    assertThat(s.table()).contains("NO OUTCOME").contains("cat-studio");
  }

  @Test
  void shouldSayModelCallsAreNotObservableWithARealApi() {
    assertThat(summary(-1, List.of()).table())
        .contains("not observable")
        .contains("attempts reported: 11");
  }
}
