package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.Records;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchTrackerTest {
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G'};
  private static final Map<String, String> B1 = Map.of("editstream.batch", "b1");

  @Test
  void shouldCountOnlyTheBatchAndCompleteAtItsSize() {
    BatchTracker t = new BatchTracker("b1", 2);

    assertThat(t.accept(Records.result("j1", "S1", B1, PNG, "file:///x", true))).isTrue();
    assertThat(
            t.accept(
                Records.result(
                    "j9", "S9", Map.of("editstream.batch", "b2"), PNG, "file:///x", true)))
        .isFalse();
    assertThat(t.complete()).isFalse();
    t.accept(Records.failure("j2", "S2", FailureCode.MODEL_UNAVAILABLE, true, 5, B1));

    assertThat(t.complete()).isTrue();
    BatchTracker.Summary s = t.summary(new Pricing(0.5, 60));
    assertThat(s.ok()).isEqualTo(1);
    assertThat(s.failures()).isEqualTo(Map.of(FailureCode.MODEL_UNAVAILABLE, 1));
    assertThat(s.outputTokens()).isEqualTo(747);
    assertThat(s.costUsd())
        .isCloseTo((300 * 0.5 + 747 * 60) / 1e6, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void shouldLetAReplayedResultReplaceTheFailureButNeverTheOtherWayRound() {
    BatchTracker t = new BatchTracker("b1", 1);
    t.accept(Records.failure("j1", "S1", FailureCode.MODEL_UNAVAILABLE, true, 5, B1));
    EditResult replayed =
        Records.result(
            "j1.replay-1",
            "S1",
            Map.of("editstream.batch", "b1", "editstream.replay.of", "j1"),
            PNG,
            "file:///x",
            true);
    t.accept(replayed);
    t.accept(Records.failure("j1", "S1", FailureCode.MODEL_UNAVAILABLE, true, 5, B1));

    assertThat(t.done()).isEqualTo(1);
    assertThat(t.outcomes()).containsExactly(replayed);
    assertThat(t.summary(new Pricing(0, 0)).failed()).isZero();
  }

  @Test
  void shouldPreferTheProcessorsCostEstimate() {
    BatchTracker t = new BatchTracker(null, null);
    EditResult r = Records.result("j1", "S1", Map.of(), PNG, "file:///x", true);
    r.setEstimatedCostUsd(0.05);
    t.accept(r);

    assertThat(t.summary(new Pricing(1000, 1000)).costUsd()).isEqualTo(0.05);
    assertThat(t.complete()).isFalse();
  }

  @Test
  void shouldCountAnEarlierBatchsOutcomeOfAJobInTheBatchFileAsEarlier() {
    BatchTracker t = new BatchTracker("b2", java.util.Set.of("j1", "j2"), 2);

    assertThat(t.accept(Records.result("j1", "S1", B1, PNG, "file:///x", true))).isTrue();
    assertThat(t.accept(Records.result("j7", "S7", B1, PNG, "file:///x", true))).isFalse();
    assertThat(t.complete()).isFalse();
    t.accept(
        Records.failure(
            "j2", "S2", FailureCode.MODEL_UNAVAILABLE, true, 1, Map.of("editstream.batch", "b2")));

    assertThat(t.complete()).isTrue();
    assertThat(t.earlier()).containsExactly("j1");
  }

  @Test
  void shouldNotBeCompleteWhileAFailedJobsReplayHasNoOutcome() {
    BatchTracker t = new BatchTracker("b1", 1);
    t.accept(Records.failure("j1", "S1", FailureCode.MODEL_UNAVAILABLE, true, 5, B1));
    assertThat(t.complete()).isTrue();

    t.awaitReplay("j1", "j1.replay-1");
    assertThat(t.complete()).isFalse();
    assertThat(t.replaysAwaited()).isEqualTo(1);
    Map<String, String> replay = Map.of("editstream.batch", "b1", "editstream.replay.of", "j1");
    t.accept(Records.failure("j1.replay-1", "S1", FailureCode.MODEL_UNAVAILABLE, true, 2, replay));

    assertThat(t.complete()).isTrue();
  }

  @Test
  void shouldNotAwaitTheReplayOfAJobThatAlreadyHasAResult() {
    BatchTracker t = new BatchTracker("b1", 1);
    t.accept(Records.result("j1", "S1", B1, PNG, "file:///x", true));

    t.awaitReplay("j1", "j1.replay-1");

    assertThat(t.complete()).isTrue();
  }
}
