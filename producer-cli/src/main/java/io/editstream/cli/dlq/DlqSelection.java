package io.editstream.cli.dlq;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which DLQ records a command means: named positions ({@code --offset 5} or {@code --offset 0:5}),
 * a text in the reason ({@code --reason}, case-insensitive), or every record ({@code --all}). Given
 * positions and a reason, a record must match both.
 */
public final class DlqSelection {
  private static final Pattern POSITION = Pattern.compile("(?:(\\d+):)?(\\d+)");

  /** A named record: {@code partition} is -1 when only the offset was given. */
  public record Position(int partition, long offset) {
    @Override
    public String toString() {
      return partition < 0 ? Long.toString(offset) : partition + ":" + offset;
    }
  }

  private final Set<Position> positions;
  private final String reason;
  private final boolean all;

  private DlqSelection(Set<Position> positions, String reason, boolean all) {
    this.positions = positions;
    this.reason = reason;
    this.all = all;
  }

  /**
   * What can be checked without the topic: the offsets' form and how the options combine.
   *
   * @throws IllegalArgumentException naming the option and what to write instead
   */
  public static void checkSyntax(List<String> offsets, String reason, boolean all) {
    for (String o : offsets) {
      if (!POSITION.matcher(o.strip()).matches()) {
        throw new IllegalArgumentException(
            "--offset '" + o + "' is not OFFSET or PARTITION:OFFSET (e.g. 17 or 0:17)");
      }
    }
    if (reason != null && reason.isBlank()) {
      throw new IllegalArgumentException("--reason must not be blank");
    }
    if (all && (!offsets.isEmpty() || reason != null)) {
      throw new IllegalArgumentException("--all selects every record: drop --offset and --reason");
    }
  }

  /**
   * @param offsets values of {@code --offset}: {@code OFFSET} or {@code PARTITION:OFFSET}
   * @param partitions how many partitions the DLQ topic has: a bare offset is ambiguous with more
   * @throws IllegalArgumentException naming the option and what to write instead
   */
  public static DlqSelection of(List<String> offsets, String reason, boolean all, int partitions) {
    checkSyntax(offsets, reason, all);
    Set<Position> positions = new LinkedHashSet<>();
    for (String o : offsets) {
      Matcher m = POSITION.matcher(o.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "--offset '" + o + "' is not OFFSET or PARTITION:OFFSET (e.g. 17 or 0:17)");
      }
      int partition = m.group(1) == null ? -1 : Integer.parseInt(m.group(1));
      long offset = Long.parseLong(m.group(2));
      if (partition < 0 && partitions > 1) {
        throw new IllegalArgumentException(
            "--offset "
                + o
                + " is ambiguous: the DLQ topic has "
                + partitions
                + " partitions; write PARTITION:OFFSET (e.g. 0:"
                + offset
                + ")");
      }
      if (partition >= partitions) {
        throw new IllegalArgumentException(
            "--offset " + o + ": the DLQ topic has partitions 0.." + (partitions - 1) + " only");
      }
      positions.add(new Position(partition < 0 ? 0 : partition, offset));
    }
    if (reason != null && reason.isBlank()) {
      throw new IllegalArgumentException("--reason must not be blank");
    }
    if (all && (!positions.isEmpty() || reason != null)) {
      throw new IllegalArgumentException("--all selects every record: drop --offset and --reason");
    }
    return new DlqSelection(
        positions, reason == null ? null : reason.strip().toLowerCase(Locale.ROOT), all);
  }

  /** True when the user named records (so re-publishing may go ahead). */
  public boolean isExplicit() {
    return all || !positions.isEmpty() || reason != null;
  }

  public boolean matches(DeadLetter d) {
    if (!positions.isEmpty() && !positions.contains(new Position(d.partition(), d.offset()))) {
      return false;
    }
    return reason == null || d.reason().toLowerCase(Locale.ROOT).contains(reason);
  }

  /** Named positions no record of {@code seen} has. */
  public List<Position> missing(Set<Position> seen) {
    List<Position> out = new ArrayList<>();
    for (Position p : positions) {
      if (!seen.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }
}
