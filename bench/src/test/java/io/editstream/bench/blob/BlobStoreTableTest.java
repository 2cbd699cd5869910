package io.editstream.bench.blob;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BlobStoreTableTest {

  private static final long MS = 1_000_000;

  @Test
  void shouldMeasureAPhaseFromFirstSendToLastResultAndSkipUnansweredJobs() {
    Map<String, Long> sent = new LinkedHashMap<>();
    sent.put("a", 0L);
    sent.put("b", 10 * MS);
    sent.put("c", 20 * MS);
    Map<String, Long> seen = Map.of("a", 100 * MS, "b", 2_000 * MS);
    Map<String, boolean[]> results =
        Map.of("a", new boolean[] {true, false}, "b", new boolean[] {true, true});

    StoreRun.Phase p = StoreRun.Phase.of(sent, seen, results);

    assertThat(p.jobs()).isEqualTo(3);
    assertThat(p.answered()).isEqualTo(2);
    assertThat(p.byReference()).isEqualTo(2);
    assertThat(p.cacheHits()).isEqualTo(1);
    assertThat(p.seconds()).isEqualTo(2.0);
    assertThat(p.resultsPerSecond()).isEqualTo(1.0);
    assertThat(p.endToEndMs().at(50)).isEqualTo(100.0);
    assertThat(p.endToEndMs().at(99)).isEqualTo(1_990.0);
  }

  @Test
  void shouldReportNothingAnsweredAsZeroRateAndDash() {
    StoreRun.Phase none = StoreRun.Phase.of(Map.of("a", 0L), Map.of(), Map.of());
    StoreRun run = new StoreRun("s3", none, none, 0, 0, 0, 0);

    List<List<String>> rows = BlobStoreTable.rows(List.of(run));

    assertThat(none.resultsPerSecond()).isZero();
    assertThat(rows.get(0)).containsExactly("results/s, new images", "0.0");
    assertThat(rows.get(2)).containsExactly("end to end p50 / p99, new images (ms)", "-");
    assertThat(rows.get(5))
        .containsExactly("results / by reference / cache hits, new images", "0 of 1 / 0 / 0");
  }

  @Test
  void shouldPutOneColumnPerStoreInRunOrder() {
    Map<String, Long> sent = Map.of("a", 0L, "b", 0L);
    StoreRun.Phase fresh =
        StoreRun.Phase.of(
            sent,
            Map.of("a", 500 * MS, "b", 1_000 * MS),
            Map.of("a", new boolean[] {true, false}, "b", new boolean[] {true, false}));
    StoreRun.Phase hits =
        StoreRun.Phase.of(
            sent,
            Map.of("a", 4 * MS, "b", 8 * MS),
            Map.of("a", new boolean[] {true, true}, "b", new boolean[] {true, true}));
    StoreRun local = new StoreRun("local", fresh, hits, 1_234_567, 2, 2, 0);
    StoreRun s3 = new StoreRun("s3", fresh, hits, 1_234_567, 2, 2, 1);

    List<String> header = BlobStoreTable.header(List.of(local, s3));
    List<List<String>> rows = BlobStoreTable.rows(List.of(local, s3));

    assertThat(header).containsExactly("", "blob.store=local", "blob.store=s3");
    assertThat(rows).allSatisfy(r -> assertThat(r).hasSize(3));
    assertThat(rows.get(0)).containsExactly("results/s, new images", "2.0", "2.0");
    assertThat(rows.get(1)).containsExactly("results/s, cache hits", "250.0", "250.0");
    assertThat(rows.get(2))
        .containsExactly("end to end p50 / p99, new images (ms)", "500 / 1,000", "500 / 1,000");
    assertThat(rows.get(4))
        .containsExactly("bytes stored (objects)", "1,234,567 (2)", "1,234,567 (2)");
    assertThat(rows.get(6))
        .containsExactly(
            "results / by reference / cache hits, hit phase", "2 of 2 / 2 / 2", "2 of 2 / 2 / 2");
    assertThat(rows.get(8)).containsExactly("duplicate outcomes", "0", "1");
  }
}
