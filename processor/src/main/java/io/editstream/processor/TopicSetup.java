package io.editstream.processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the processor's topics when they do not exist, so a fresh cluster works. */
final class TopicSetup {
  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /** One topic to ensure: name, partitions, replication (-1 = broker default) and configs. */
  record Wanted(String name, int partitions, short replication, Map<String, String> configs) {}

  /** The partition count of an existing topic. */
  static int partitions(Admin admin, String topic) {
    try {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(30, TimeUnit.SECONDS)
          .get(topic)
          .partitions()
          .size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topic " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot describe topic " + topic + ": " + (e.getCause() == null ? e : e.getCause()), e);
    }
  }

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
