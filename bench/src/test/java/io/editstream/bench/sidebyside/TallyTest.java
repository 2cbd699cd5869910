package io.editstream.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TallyTest {

  private static ModelCall ok(long at, String job) {
    return new ModelCall(at, job, 200);
  }

  private static ModelCall limited(long at, String job) {
    return new ModelCall(at, job, 429);
  }

  @Test
  void shouldCountAdmittedAnd429CallsInsideTheWindowOnly() {
    List<ModelCall> calls =
        List.of(ok(999, "a"), ok(1000, "b"), limited(1500, "c"), ok(1999, "d"), ok(2000, "e"));

    Tally.WindowCalls w = Tally.window(calls, 1000, 2000);

    assertThat(w.admitted()).isEqualTo(2);
    assertThat(w.rateLimited()).isEqualTo(1);
  }

  @Test
  void shouldBucketCallsAndScaleEachBucketToAMinute() {
    List<ModelCall> calls =
        List.of(ok(0, "a"), ok(9_999, "b"), ok(10_000, "c"), limited(10_001, "d"), ok(25_000, "e"));

    double[] admitted = Tally.perMinute(calls, 0, 30_000, 10_000, false);
    double[] rejected = Tally.perMinute(calls, 0, 30_000, 10_000, true);

    assertThat(admitted).containsExactly(12.0, 6.0, 6.0);
    assertThat(rejected).containsExactly(0.0, 6.0, 0.0);
  }

  @Test
  void shouldMakeAPartialLastBucketAndIgnoreCallsOutsideTheRange() {
    List<ModelCall> calls = List.of(ok(-1, "early"), ok(14_000, "a"), ok(15_000, "late"));

    assertThat(Tally.perMinute(calls, 0, 15_000, 10_000, false)).containsExactly(0.0, 6.0);
  }

  @Test
  void shouldRefuseAnEmptyBucket() {
    assertThatThrownBy(() -> Tally.perMinute(List.of(), 0, 1, 0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucketMillis");
  }

  @Test
  void shouldCountRepeatedWorkPerJobButNotRetriesAfter429() {
    List<ModelCall> calls =
        List.of(
            limited(1, "a"),
            ok(2, "a"),
            ok(3, "b"),
            ok(4, "b"),
            ok(5, "b"),
            ok(6, "c"),
            ok(7, ""),
            ok(8, ""));

    assertThat(Tally.duplicateCalls(calls)).isEqualTo(2);
    assertThat(Tally.jobsCalledTwice(calls)).isEqualTo(1);
  }

  @Test
  void shouldCountResultRecordsBeyondTheFirst() {
    assertThat(Tally.duplicateResults(Map.of("a", List.of(1L), "b", List.of(1L, 2L, 3L))))
        .isEqualTo(2);
  }

  @Test
  void shouldCallAJobLostWhenItsOffsetWasCommittedButItHasNoResult() {
    Map<String, Tally.Position> jobs =
        Map.of(
            "a", new Tally.Position(0, 0),
            "b", new Tally.Position(0, 1),
            "c", new Tally.Position(0, 2),
            "d", new Tally.Position(1, 0),
            "e", new Tally.Position(2, 0));
    // Partition 0 consumed up to offset 2 (exclusive), partition 1 fully, partition 2 not at all.
    Map<Integer, Long> committed = Map.of(0, 2L, 1, 1L);

    assertThat(Tally.consumed(jobs, committed)).isEqualTo(3);
    assertThat(Tally.lost(jobs, committed, Set.of("a", "c", "e"))).containsExactly("b", "d");
    assertThat(Tally.lost(jobs, committed, Set.of("a", "b", "d"))).isEmpty();
  }
}
