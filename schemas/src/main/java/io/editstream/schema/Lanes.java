package io.editstream.schema;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The lanes a job can take to the model (issue 18): {@link #ONLINE}, a call of its own, or {@link
 * #BATCH}, a request in a Gemini batch at the batch price. A job asks for one with the attribute
 * {@link #ATTRIBUTE}; {@link EditResult#getLane()} and {@link EditFailure#getLane()} say which one
 * it took.
 */
public final class Lanes {

  /** The job attribute through which a job asks for a lane: {@code batch} or {@code online}. */
  public static final String ATTRIBUTE = "editstream.lane";

  public static final String ONLINE = "online";
  public static final String BATCH = "batch";

  /** Every accepted value, in the order error messages list them. Immutable. */
  public static final List<String> ALL = List.of(BATCH, ONLINE);

  private Lanes() {}

  /**
   * The lane {@code value} names (blanks around it and case ignored), or empty when it names none.
   */
  public static Optional<String> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.strip().toLowerCase(Locale.ROOT);
    return ALL.contains(v) ? Optional.of(v) : Optional.empty();
  }

  /** The lane a job asks for through {@link #ATTRIBUTE}; empty when it asks none (or a bad one). */
  public static Optional<String> requested(EditJob job) {
    return job.getAttributes() == null
        ? Optional.empty()
        : parse(job.getAttributes().get(ATTRIBUTE));
  }
}
