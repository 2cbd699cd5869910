package io.editstream.testkit;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Unique names for topics, consumer groups, transactional ids and Kafka Streams application ids, so
 * tests sharing one broker (possibly with other JVMs) never see each other's data.
 */
public final class TestTopics {
  private static final Pattern LEGAL_PREFIX = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

  /** Differs between JVMs, so names stay unique on a shared external broker. */
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  private static final AtomicLong COUNTER = new AtomicLong();

  private TestTopics() {}

  /**
   * Returns {@code prefix-<run>-<n>}: unique within this JVM and, with high probability, across
   * JVMs. The result is a legal topic name and application id.
   *
   * @throws IllegalArgumentException if the prefix is empty, longer than 200 characters or has a
   *     character other than ASCII letters, digits, '.', '_' and '-'
   */
  public static String unique(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (!LEGAL_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "prefix must be 1-200 characters of [a-zA-Z0-9._-], was \"" + prefix + "\"");
    }
    return prefix + "-" + RUN + "-" + COUNTER.incrementAndGet();
  }
}
