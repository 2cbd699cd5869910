package io.editstream.cli.kafka;

import io.editstream.cli.Progress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Finds what Kafka already holds for some jobIds: an outcome (on the results or failures topic) or
 * the job itself (on the jobs topic, no outcome yet). Every topic is keyed by jobId, so only the
 * partitions those ids hash to are read — the default partitioner's murmur2 of the key's UTF-8
 * bytes — and only records since a given time: a bounded scan, with progress shown.
 *
 * <p>Callers may rely on: a jobId reported {@link State#SUBMITTED} is on the jobs topic (keyed by
 * its id, as {@code submit} sends it) with no outcome since {@code since}; jobs another producer
 * keyed otherwise are found only once they have an outcome.
 */
public final class JobLookup {
  /** What Kafka holds for a jobId, most final first. */
  public enum State {
    /** A result on the results topic. */
    DONE_OK,
    /** A failure on the failures topic (and no result). */
    DONE_FAILED,
    /** On the jobs topic, without an outcome yet. */
    SUBMITTED
  }

  private JobLookup() {}

  /** The partition the default partitioner gives a record keyed {@code key}. */
  public static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /**
   * The state of every jobId of {@code ids} that Kafka holds since {@code since}; ids not in the
   * answer were not seen.
   *
   * @param progress shows records read; may be a disabled one
   */
  public static Map<String, State> find(
      Connection conn, Collection<String> ids, Instant since, Progress progress) {
    Map<String, State> found = new HashMap<>();
    if (ids.isEmpty()) {
      return found;
    }
    Topics topics = conn.topics();
    scan(conn, topics.results(), Set.copyOf(ids), since, progress, found, State.DONE_OK);
    List<String> rest = new ArrayList<>();
    for (String id : ids) {
      if (!found.containsKey(id)) {
        rest.add(id);
      }
    }
    scan(conn, topics.failures(), Set.copyOf(rest), since, progress, found, State.DONE_FAILED);
    rest.removeIf(found::containsKey);
    scan(conn, topics.jobs(), Set.copyOf(rest), since, progress, found, State.SUBMITTED);
    return found;
  }

  private static void scan(
      Connection conn,
      String topic,
      Set<String> ids,
      Instant since,
      Progress progress,
      Map<String, State> found,
      State state) {
    if (ids.isEmpty()) {
      return;
    }
    List<TopicPartition> all =
        Clients.partitions(
            conn, topic, "editstream-cli-lookup-check", conn.topics().optionFor(topic));
    Set<Integer> wanted = new TreeSet<>();
    for (String id : ids) {
      wanted.add(partitionOf(id, all.size()));
    }
    List<TopicPartition> parts = new ArrayList<>();
    for (int p : wanted) {
      parts.add(new TopicPartition(topic, p));
    }
    TopicScan.scan(
        conn,
        "editstream-cli-lookup",
        parts,
        since,
        progress,
        r -> {
          if (r.key() != null) {
            String id = new String(r.key(), StandardCharsets.UTF_8);
            if (ids.contains(id)) {
              found.putIfAbsent(id, state);
            }
          }
        });
  }
}
