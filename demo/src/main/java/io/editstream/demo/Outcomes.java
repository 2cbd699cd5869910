package io.editstream.demo;

import io.editstream.cli.listen.BatchTracker;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.serde.AvroSerdes;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows the outcome topics ({@code read_committed}, so only outcomes of committed transactions),
 * counts the batch's outcomes with the command line's {@link BatchTracker} and keeps each job's
 * outcome for the report. Not thread-safe: one thread polls.
 */
final class Outcomes implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final Topics topics;
  private final Deserializer<EditResult> results;
  private final Deserializer<EditFailure> failures;
  private final BatchTracker tracker;
  private final Map<String, EditResult> resultById = new LinkedHashMap<>();
  private final Map<String, EditFailure> failureById = new LinkedHashMap<>();
  private int deadLetters;
  private int duplicates;

  Outcomes(
      Map<String, Object> kafka,
      Map<String, Object> registry,
      Topics topics,
      String batch,
      int expected) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, topics.prefix() + "demo-listener");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "editstream-demo-listen");
    this.consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.topics = topics;
    this.results = AvroSerdes.valueSerde(EditResult.class, registry).deserializer();
    this.failures = AvroSerdes.valueSerde(EditFailure.class, registry).deserializer();
    this.tracker = new BatchTracker(batch, expected);
    consumer.subscribe(List.of(topics.results(), topics.failures(), topics.dlq()));
  }

  /**
   * Polls until every id in {@code expected} has an outcome or {@code timeout} passes; calls {@code
   * onOutcome} with each job id as its first outcome arrives.
   *
   * @return true when every expected job has an outcome
   */
  boolean awaitAll(Collection<String> expected, Duration timeout, Consumer<String> onOutcome) {
    Set<String> wanted = Set.copyOf(expected);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!complete(wanted) && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        String id = r.key();
        if (r.topic().equals(topics.dlq())) {
          deadLetters++;
          continue;
        }
        boolean first = !resultById.containsKey(id) && !failureById.containsKey(id);
        if (!first) {
          duplicates++;
        }
        if (r.topic().equals(topics.results())) {
          EditResult result = results.deserialize(r.topic(), r.headers(), r.value());
          resultById.put(id, result);
          tracker.accept(result);
        } else {
          EditFailure failure = failures.deserialize(r.topic(), r.headers(), r.value());
          failureById.put(id, failure);
          tracker.accept(failure);
        }
        if (first) {
          onOutcome.accept(id);
        }
      }
    }
    return complete(wanted);
  }

  private boolean complete(Set<String> wanted) {
    return wanted.stream()
        .allMatch(id -> resultById.containsKey(id) || failureById.containsKey(id));
  }

  /** Counts, tokens and cost of the batch's outcomes. */
  BatchTracker tracker() {
    return tracker;
  }

  Map<String, EditResult> results() {
    return resultById;
  }

  Map<String, EditFailure> failures() {
    return failureById;
  }

  /** Records on the dead-letter topic (undecodable jobs); the sample set has none. */
  int deadLetters() {
    return deadLetters;
  }

  /** Outcomes seen for a job id that already had one; exactly-once means 0. */
  int duplicates() {
    return duplicates;
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
