package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * When a full sliding log has room again: the oldest known admissions leave the window first,
 * whichever log holds them (the history of earlier owners or the lane's own), so the two are walked
 * together in time order.
 */
class LaneLogTest {
  private static final long S = 1_000_000_000L;
  private static final long WINDOW = 60_500_000_000L;

  private final FakeTicker ticker = new FakeTicker();
  private final long t0 = ticker.read();

  @Test
  void shouldWaitForTheOldestAdmissionsOfBothLogsInTimeOrder() {
    Lane lane = new Lane(Bucket.REQUESTS_PER_MINUTE, 1000, 5, WINDOW, ticker);
    lane.update(t0, 1.0, 1, 0);
    TreeMap<Long, Long> history = new TreeMap<>();
    history.put(t0 - 59 * S, 3L);
    history.put(t0 + S / 2, 400L); // the current second, counted at its end
    lane.restoreHistory(history, 0, t0);
    lane.charge(2, t0 + S / 5); // own, between the two
    lane.charge(595, t0 + S);

    long now = t0 + S;
    assertThat(lane.hasRoom(1, now)).isFalse(); // 1,000 known
    // 4 more need the 3 of the oldest (history) and then the 2 of t0 + 0.2 s (own) to leave; the
    // pacer and the schedule, owed the 597 just charged, are ready well before (~24 s, ~36 s).
    assertThat(lane.nanosUntil(4, now)).isEqualTo(S / 5 + WINDOW - S + 1);
  }

  @Test
  void shouldKeepTheUnseenAfterAnEntryOfTheCurrentSecond() {
    Lane lane = new Lane(Bucket.REQUESTS_PER_MINUTE, 1000, 5, WINDOW, ticker);
    lane.update(t0, 1.0, 1, 0);
    TreeMap<Long, Long> history = new TreeMap<>();
    history.put(t0 + S / 2, 990L); // the current second, counted at its end
    lane.restoreHistory(history, 10, t0);

    // The unseen 10 are counted no earlier than the entry before them: all 1,000 leave together.
    assertThat(lane.nanosUntil(1, t0)).isEqualTo(S / 2 + WINDOW + 1);
  }
}
