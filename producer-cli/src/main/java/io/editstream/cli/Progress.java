package io.editstream.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress display on stderr ({@code \r}-redrawn, at most ten times a second): count of
 * total, rate, and a free note. Off when stderr is not a terminal or with {@code --quiet}, so
 * scripts and logs stay clean.
 */
public final class Progress {
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintStream err;
  private final boolean enabled;
  private final LongSupplier nanoTime;
  private final String unit;
  private final long start;
  private long lastDraw = Long.MIN_VALUE;
  private int lastLength;

  public Progress(PrintStream err, boolean enabled, LongSupplier nanoTime, String unit) {
    this.err = err;
    this.enabled = enabled;
    this.nanoTime = nanoTime;
    this.unit = unit;
    this.start = nanoTime.getAsLong();
  }

  /** Redraws the line if enough time passed; {@code total} below 1 means unknown. */
  public void update(long done, long total, String note) {
    if (!enabled) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS && done != total) {
      return;
    }
    lastDraw = now;
    draw(line(done, total, now, note));
  }

  /** Clears the line, so the summary that follows starts on a clean line. */
  public void finish() {
    if (enabled && lastLength > 0) {
      err.print("\r" + " ".repeat(lastLength) + "\r");
      err.flush();
      lastLength = 0;
    }
  }

  String line(long done, long total, long now, String note) {
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    StringBuilder sb = new StringBuilder();
    if (total > 0) {
      int width = 24;
      int filled = (int) Math.min(width, done * width / total);
      sb.append('[').append("=".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
      sb.append(done).append('/').append(total);
    } else {
      sb.append(done);
    }
    sb.append(' ').append(unit);
    sb.append(String.format(Locale.ROOT, "  %.1f/s", done / seconds));
    if (note != null && !note.isEmpty()) {
      sb.append("  ").append(note);
    }
    return sb.toString();
  }

  private void draw(String line) {
    int pad = Math.max(0, lastLength - line.length());
    err.print("\r" + line + " ".repeat(pad));
    err.flush();
    lastLength = line.length();
  }
}
