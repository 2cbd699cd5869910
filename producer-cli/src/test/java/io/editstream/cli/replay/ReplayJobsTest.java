package io.editstream.cli.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.Records;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplayJobsTest {
  private static final Instant NOW = Instant.parse("2026-03-02T00:00:00Z");

  @Test
  void shouldGiveAReplayANewDeterministicIdAndMarkIt() {
    EditFailure failure =
        Records.failure(
            "j1",
            "S1",
            FailureCode.MODEL_UNAVAILABLE,
            true,
            5,
            Map.of("editstream.batch", "b1", "shop", "eu"));

    EditJob replay = ReplayJobs.replayOf(failure, NOW);
    EditJob again = ReplayJobs.replayOf(failure, NOW.plusSeconds(60));

    assertThat(replay.getJobId()).isEqualTo("j1.replay-1").isEqualTo(again.getJobId());
    assertThat(replay.getAttributes())
        .containsEntry("editstream.replay", "true")
        .containsEntry("editstream.replay.of", "j1")
        .containsEntry("editstream.attempts", "5")
        .containsEntry("editstream.batch", "b1")
        .containsEntry("shop", "eu");
    assertThat(replay.getSubmittedAt()).isEqualTo(NOW);
    assertThat(replay.getInstruction()).isEqualTo(failure.getJob().getInstruction());
    assertThat(replay.getImages()).isEqualTo(failure.getJob().getImages());
  }

  @Test
  void shouldNumberTheReplayOfAReplayAndAddUpAttempts() {
    EditFailure first = Records.failure("j1", "S1", FailureCode.QUOTA_EXHAUSTED, true, 5, Map.of());
    EditJob replay1 = ReplayJobs.replayOf(first, NOW);
    EditFailure second =
        EditFailure.newBuilder(first)
            .setJobId(replay1.getJobId())
            .setJob(replay1)
            .setAttempts(2)
            .build();

    EditJob replay2 = ReplayJobs.replayOf(second, NOW);

    assertThat(replay2.getJobId()).isEqualTo("j1.replay-2");
    assertThat(replay2.getAttributes())
        .containsEntry("editstream.replay.of", "j1")
        .containsEntry("editstream.attempts", "7");
    assertThat(ReplayJobs.replayNumber(replay2)).isEqualTo(2);
    assertThat(ReplayJobs.replayNumber(first.getJob())).isZero();
  }

  @Test
  void shouldReplayRetryableFailuresOnlyUnlessPermanentOnesAreIncluded() {
    EditFailure retryable =
        Records.failure(
            "a", "S1", FailureCode.MODEL_UNAVAILABLE, true, 5, Map.of("editstream.batch", "b1"));
    EditFailure permanent =
        Records.failure(
            "b", "S2", FailureCode.IMAGE_SAFETY, false, 1, Map.of("editstream.batch", "b1"));
    ReplayFilter defaults = new ReplayFilter(Set.of(), false, null, null, null, null, null, 3);
    ReplayFilter withPermanent = new ReplayFilter(Set.of(), true, null, null, null, null, null, 3);

    assertThat(defaults.decide(retryable)).isEqualTo(ReplayFilter.Decision.REPLAY);
    assertThat(defaults.decide(permanent)).isEqualTo(ReplayFilter.Decision.PERMANENT);
    assertThat(withPermanent.decide(permanent)).isEqualTo(ReplayFilter.Decision.REPLAY);
  }

  @Test
  void shouldFilterByCodeTimeTenantSkuBatchAndReplayCount() {
    EditFailure f =
        Records.failure(
            "a", "S1", FailureCode.MODEL_UNAVAILABLE, true, 5, Map.of("editstream.batch", "b1"));
    List<ReplayFilter.Decision> decisions = new ArrayList<>();
    decisions.add(
        new ReplayFilter(
                Set.of(FailureCode.QUOTA_EXHAUSTED), false, null, null, null, null, null, 3)
            .decide(f));
    decisions.add(
        new ReplayFilter(Set.of(), false, Records.AT.plusSeconds(1), null, null, null, null, 3)
            .decide(f));
    decisions.add(
        new ReplayFilter(Set.of(), false, null, Records.AT, null, null, null, 3).decide(f));
    decisions.add(new ReplayFilter(Set.of(), false, null, null, "other", null, null, 3).decide(f));
    decisions.add(new ReplayFilter(Set.of(), false, null, null, null, "S2", null, 3).decide(f));
    decisions.add(new ReplayFilter(Set.of(), false, null, null, null, null, "b2", 3).decide(f));
    decisions.add(new ReplayFilter(Set.of(), false, null, null, null, null, null, 0).decide(f));
    ReplayFilter all =
        new ReplayFilter(
            Set.of(FailureCode.MODEL_UNAVAILABLE),
            false,
            Records.AT,
            Records.AT.plusSeconds(1),
            "acme",
            "S1",
            "b1",
            3);

    assertThat(decisions)
        .containsExactly(
            ReplayFilter.Decision.OTHER_CODE,
            ReplayFilter.Decision.OUT_OF_TIME_RANGE,
            ReplayFilter.Decision.OUT_OF_TIME_RANGE,
            ReplayFilter.Decision.OTHER_TENANT,
            ReplayFilter.Decision.OTHER_SKU,
            ReplayFilter.Decision.OTHER_BATCH,
            ReplayFilter.Decision.REPLAYED_TOO_OFTEN);
    assertThat(all.decide(f)).isEqualTo(ReplayFilter.Decision.REPLAY);
  }

  @Test
  void shouldSpaceEventsAtTheRate() throws Exception {
    long[] now = {0};
    List<Long> sleeps = new ArrayList<>();
    Pacer pacer =
        new Pacer(
            4,
            () -> now[0],
            n -> {
              sleeps.add(n);
              now[0] += n;
            });

    for (int i = 0; i < 4; i++) {
      pacer.acquire();
    }

    assertThat(sleeps).containsExactly(250_000_000L, 250_000_000L, 250_000_000L);
    assertThat(now[0]).isEqualTo(750_000_000L);
  }
}
