package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The counting rules of safety strikes, with time passed in (threshold 3, window 1 h). */
class TenantStrikesTest {
  private static final int THRESHOLD = 3;
  private static final long WINDOW = Duration.ofHours(1).toMillis();
  private static final long T0 = 1_700_000_000_000L;
  private static final long MINUTE = 60_000;

  @Test
  void shouldHoldWhenTheThresholdIsReachedWithinTheWindow() {
    TenantStrikes s = TenantStrikes.NONE;
    s = count(s, T0, "j1", 0, false, false);
    s = count(s, T0 + MINUTE, "j2", 0, false, false);
    TenantStrikes.Counted third =
        s.count(strike(T0 + 2 * MINUTE, "j3"), 0, false, THRESHOLD, WINDOW);

    assertThat(third.holdNow()).isTrue();
    assertThat(third.state().heldAtMs()).isEqualTo(T0 + 2 * MINUTE);
    assertThat(third.state().strikes())
        .extracting(TenantStrikes.Strike::jobId)
        .containsExactly("j1", "j2", "j3");
  }

  @Test
  void shouldForgetStrikesThatLeftTheWindow() {
    TenantStrikes s = TenantStrikes.NONE;
    s = count(s, T0, "j1", 0, false, false);
    s = count(s, T0 + MINUTE, "j2", 0, false, false);
    // At the third strike j1 is 60.5 minutes old, j2 59.5: two in the window.
    s = count(s, T0 + 60 * MINUTE + MINUTE / 2, "j3", 0, false, false);
    assertThat(s.strikes()).extracting(TenantStrikes.Strike::jobId).containsExactly("j2", "j3");
  }

  @Test
  void shouldNotHoldAgainWhileItsOwnHoldIsNotYetReadBack() {
    TenantStrikes held = heldAt(T0);
    // The holds topic does not show the hold yet (lag): held by this counter all the same.
    count(held, T0 + MINUTE, "j4", 0, false, false);
  }

  @Test
  void shouldForgiveEveryStrikeBeforeARelease() {
    TenantStrikes held = heldAt(T0);
    long release = T0 + 10 * MINUTE;
    TenantStrikes s = count(held, T0 + 11 * MINUTE, "j4", release, false, false);
    assertThat(s.heldAtMs()).as("the release ended the hold").isZero();
    assertThat(s.strikes()).extracting(TenantStrikes.Strike::jobId).containsExactly("j4");
    s = count(s, T0 + 12 * MINUTE, "j5", release, false, false);
    count(s, T0 + 13 * MINUTE, "j6", release, false, true);
  }

  @Test
  void shouldNotCountAStrikeTimedBeforeTheReleaseThatArrivesAfterIt() {
    TenantStrikes held = heldAt(T0);
    long release = T0 + 10 * MINUTE;
    TenantStrikes s = count(held, T0 + 9 * MINUTE, "late", release, false, false);
    assertThat(s.strikes()).isEmpty();
  }

  @Test
  void shouldKeepHoldingWhenTheLastReleaseReadIsOlderThanTheHold() {
    TenantStrikes held = heldAt(T0);
    TenantStrikes s = count(held, T0 + MINUTE, "j4", T0 - MINUTE, false, false);
    assertThat(s.heldAtMs()).isEqualTo(T0);
  }

  @Test
  void shouldNotHoldATenantTheHoldsTopicShowsHeldAlready() {
    TenantStrikes s = TenantStrikes.NONE;
    s = count(s, T0, "j1", 0, true, false);
    s = count(s, T0 + 1, "j2", 0, true, false);
    s = count(s, T0 + 2, "j3", 0, true, false);
    assertThat(s.heldAtMs()).isZero();
  }

  @Test
  void shouldKeepAtMostTheThresholdsNumberOfStrikes() {
    TenantStrikes s = heldAt(T0);
    for (int i = 4; i < 20; i++) {
      s = count(s, T0 + i, "j" + i, 0, false, false);
    }
    assertThat(s.strikes()).hasSize(THRESHOLD);
  }

  @Test
  void shouldDecodeWhatItEncodes() {
    TenantStrikes s =
        new TenantStrikes(
            T0,
            T0 - 5,
            List.of(new TenantStrikes.Strike(T0 - 2, "a"), new TenantStrikes.Strike(T0 - 1, "é")));
    assertThat(TenantStrikes.decode(s.encode())).isEqualTo(s);
  }

  /** A tenant this counter held at {@code at} after strikes j1..j3. */
  private static TenantStrikes heldAt(long at) {
    TenantStrikes s = TenantStrikes.NONE;
    s = count(s, at - 2, "j1", 0, false, false);
    s = count(s, at - 1, "j2", 0, false, false);
    s = count(s, at, "j3", 0, false, true);
    return s;
  }

  private static TenantStrikes count(
      TenantStrikes s,
      long at,
      String jobId,
      long lastRelease,
      boolean heldElsewhere,
      boolean hold) {
    TenantStrikes.Counted c =
        s.count(strike(at, jobId), lastRelease, heldElsewhere, THRESHOLD, WINDOW);
    assertThat(c.holdNow()).as("hold at the strike of %s", jobId).isEqualTo(hold);
    return c.state();
  }

  private static TenantStrikes.Strike strike(long at, String jobId) {
    return new TenantStrikes.Strike(at, jobId);
  }
}
