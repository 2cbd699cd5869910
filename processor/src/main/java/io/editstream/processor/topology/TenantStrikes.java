package io.editstream.processor.topology;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One tenant's recent safety strikes and hold, as the strike counter keeps them in its
 * (changelogged) store. Immutable; the pure rules of counting, with time passed in.
 *
 * @param heldAtMs when this counter held the tenant (epoch ms), 0 when it is not holding it: set as
 *     the hold is written, so the strikes that follow before every instance sees the hold do not
 *     write it again
 * @param forgivenUntilMs strikes at or before this time never count: the last release seen
 * @param strikes the strikes counted in the window, oldest first, at most the threshold's number
 */
record TenantStrikes(long heldAtMs, long forgivenUntilMs, List<Strike> strikes) {
  private static final byte FORMAT = 1;

  static final TenantStrikes NONE = new TenantStrikes(0, 0, List.of());

  /** A safety outcome: when, and of which job. */
  record Strike(long atMs, String jobId) {}

  /** What counting one strike came to: the new state, and whether it starts a hold. */
  record Counted(TenantStrikes state, boolean holdNow) {}

  TenantStrikes {
    strikes = List.copyOf(strikes);
  }

  /**
   * Counts a strike.
   *
   * @param strike the safety outcome, timed by its outcome record
   * @param lastRelease when the tenant was last released as the holds topic says (epoch ms), 0 if
   *     never
   * @param heldElsewhere whether the holds topic says the tenant is held (by this counter or by
   *     hand)
   * @param threshold strikes in the window that hold the tenant (at least 1)
   * @param windowMs the window's length
   */
  Counted count(
      Strike strike, long lastRelease, boolean heldElsewhere, int threshold, long windowMs) {
    long forgiven = Math.max(forgivenUntilMs, lastRelease);
    // A release after our hold ends it; one before it (read late) does not.
    long held = heldAtMs != 0 && lastRelease >= heldAtMs ? 0 : heldAtMs;
    long since = Math.max(forgiven, strike.atMs() - windowMs);
    List<Strike> kept = new ArrayList<>();
    for (Strike s : strikes) {
      if (s.atMs() > since) {
        kept.add(s);
      }
    }
    if (strike.atMs() > since) {
      kept.add(strike);
    }
    while (kept.size() > threshold) {
      kept.remove(0);
    }
    boolean holdNow = held == 0 && !heldElsewhere && kept.size() >= threshold;
    return new Counted(new TenantStrikes(holdNow ? strike.atMs() : held, forgiven, kept), holdNow);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeLong(heldAtMs);
      out.writeLong(forgivenUntilMs);
      out.writeInt(strikes.size());
      for (Strike s : strikes) {
        out.writeLong(s.atMs());
        out.writeUTF(s.jobId());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static TenantStrikes decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalStateException("unknown strikes format " + format);
      }
      long heldAt = in.readLong();
      long forgiven = in.readLong();
      int n = in.readInt();
      List<Strike> strikes = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        strikes.add(new Strike(in.readLong(), in.readUTF()));
      }
      return new TenantStrikes(heldAt, forgiven, strikes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
