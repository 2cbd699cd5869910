package io.editstream.processor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the processor's topics when they do not exist, so a fresh cluster works. */
final class TopicSetup {
  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /** One topic to ensure: name, partitions, replication (-1 = broker default) and configs. */
  record Wanted(String name, int partitions, short replication, Map<String, String> configs) {}

  /**
   * How long start-up waits for topics to appear in the cluster's metadata. A broker answers {@code
   * createTopics} before every broker's metadata cache knows the topic; describing it at once can
   * fail with {@link UnknownTopicOrPartitionException} (seen on fresh KRaft clusters).
   */
  static final Duration METADATA_WAIT = Duration.ofSeconds(60);

  private static final long MAX_BACKOFF_MS = 1_000;

  /** The partition count of an existing topic, waiting up to {@link #METADATA_WAIT} for it. */
  static int partitions(Admin admin, String topic) {
    return partitions(admin, topic, METADATA_WAIT);
  }

  /**
   * The partition count of a topic, waiting up to {@code wait} for the cluster's metadata to show
   * it with a leader for every partition.
   *
   * @throws IllegalStateException when it does not appear in time, naming the topic and the setting
   */
  static int partitions(Admin admin, String topic, Duration wait) {
    return awaitTopics(admin, List.of(topic), wait).get(topic);
  }

  private static Map<String, Integer> awaitTopics(
      Admin admin, Collection<String> topics, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    long backoffMs = 50;
    Throwable last = null;
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        Map<String, Integer> counts = new HashMap<>();
        List<String> leaderless = new ArrayList<>();
        described.forEach(
            (name, d) -> {
              counts.put(name, d.partitions().size());
              if (d.partitions().stream().anyMatch(p -> p.leader() == null)) {
                leaderless.add(name);
              }
            });
        if (leaderless.isEmpty()) {
          return counts;
        }
        last = new IllegalStateException("partitions without a leader in " + leaderless);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while describing topics " + topics, e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (!(cause instanceof RetriableException)) {
          throw new IllegalStateException("cannot describe topics " + topics + ": " + cause, e);
        }
        last = cause;
      } catch (TimeoutException e) {
        last = e;
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMs <= 0) {
        throw new IllegalStateException(
            "topics "
                + topics
                + " did not appear in the metadata of the Kafka cluster (kafka.bootstrap.servers)"
                + " within "
                + wait.toSeconds()
                + " s: "
                + last
                + ". Check that the brokers are healthy and that this client may describe the"
                + " topics; topics are created by the processor when missing.",
            last);
      }
      sleepQuietly(Math.min(backoffMs, leftMs));
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for topic metadata", e);
    }
  }

  /**
   * Creates the missing topics and waits until the cluster's metadata shows every wanted topic, so
   * neither the caller nor Kafka Streams' assignment races a broker that has not caught up.
   */
  static void ensure(Admin admin, List<Wanted> wanted) {
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Wanted w : wanted) {
        if (!existing.contains(w.name())) {
          missing.add(
              new NewTopic(
                      w.name(),
                      Optional.of(w.partitions()),
                      w.replication() < 0 ? Optional.empty() : Optional.of(w.replication()))
                  .configs(w.configs()));
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      missing.forEach(
          t ->
              log.info(
                  "Created topic {} ({} partitions, replication {})",
                  t.name(),
                  t.numPartitions(),
                  t.replicationFactor() < 0 ? "broker default" : t.replicationFactor()));
      awaitTopics(admin, missing.stream().map(NewTopic::name).toList(), METADATA_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot list or create topics on "
              + "the Kafka cluster (kafka.bootstrap.servers): "
              + (e.getCause() == null ? e : e.getCause()),
          e);
    }
  }
}
