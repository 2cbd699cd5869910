package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.editstream.testkit.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LeftInstanceFencer} on a real broker: stream threads are played by transactional producers
 * and group members named the way Kafka Streams names them; the broker's transaction timeout (2 min
 * here) is far beyond the test, so only the fencer can end the open transaction.
 */
class LeftInstanceFencerTest {
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  // A fresh application per test (JUnit makes an instance per test), one changelog partition.
  private final String app = "fence-" + UUID.randomUUID().toString().substring(0, 8);
  private final String topic = app + "-pending-changelog";
  private final TopicPartition tp = new TopicPartition(topic, 0);

  @BeforeEach
  void createChangelog() {
    broker.createTopic(topic, 1);
  }

  @Test
  @SuppressWarnings("try") // the member only has to be in the group while the body works
  void abortsTheOpenTransactionOfAnInstanceThatLeftTheGroupAndNoOther() throws Exception {
    String dead = app + "-" + UUID.randomUUID() + "-1";
    String liveProcess = UUID.randomUUID().toString();
    String live = app + "-" + liveProcess + "-1";
    String otherApp = app + "-batch-" + UUID.randomUUID() + "-1";
    try (Admin admin = Admin.create(broker.clientConfig());
        KafkaConsumer<String, String> member =
            member(app, app + "-" + liveProcess + "-StreamThread-1-consumer", topic);
        KafkaProducer<String, String> deadThread = transactional(dead);
        KafkaProducer<String, String> liveThread = transactional(live);
        KafkaProducer<String, String> otherThread = transactional(otherApp);
        LeftInstanceFencer fencer =
            new LeftInstanceFencer(admin, app, Duration.ofSeconds(30), meters)) {
      deadThread.beginTransaction();
      deadThread.send(new ProducerRecord<>(topic, "job-1", "from the killed instance")).get();
      liveThread.beginTransaction();
      liveThread.send(new ProducerRecord<>(topic, "job-2", "from the live instance")).get();
      otherThread.beginTransaction();
      otherThread.send(new ProducerRecord<>(topic, "job-3", "another application")).get();
      assertThat(lastStableOffset(admin, tp))
          .as("the killed instance's open transaction holds the partition's readers back")
          .isZero();

      LeftInstanceFencer.Pass pass = fencer.fenceLeftInstances();

      assertThat(pass.fenced()).containsExactly(dead);
      assertThat(meters.get("editstream.transactions.fenced").counter().count()).isEqualTo(1.0);
      // Aborted: readers now stop only at the live instance's transaction, which began next.
      await().atMost(Duration.ofSeconds(20)).until(() -> lastStableOffset(admin, tp) == 1);
      assertThatThrownBy(deadThread::commitTransaction)
          .as("the killed instance's producer is fenced")
          .isInstanceOf(KafkaException.class);
      liveThread.commitTransaction(); // not fenced: would throw
      otherThread.commitTransaction(); // another application's id: not touched
      assertThat(committedValues(topic))
          .containsExactlyInAnyOrder("from the live instance", "another application");
      assertThat(fencer.fenceLeftInstances().fenced()).as("nothing left to fence").isEmpty();
    }
  }

  @Test
  @SuppressWarnings("try") // the member only has to be in the group while the body works
  void leavesTransactionsAloneWhenTheMembersClientIdsDoNotNameTheirProcess() throws Exception {
    String stopped = app + "-" + UUID.randomUUID() + "-1";
    // kafka.client.id set: Streams names members "<client.id>-StreamThread-N-consumer".
    try (Admin admin = Admin.create(broker.clientConfig());
        KafkaConsumer<String, String> member =
            member(app, "my-client-StreamThread-1-consumer", topic);
        KafkaProducer<String, String> thread = transactional(stopped);
        LeftInstanceFencer fencer =
            new LeftInstanceFencer(admin, app, Duration.ofSeconds(30), meters)) {
      thread.beginTransaction();
      thread.send(new ProducerRecord<>(topic, "job-1", "open")).get();

      assertThat(fencer.fenceLeftInstances().fenced()).isEmpty();

      assertThat(lastStableOffset(admin, tp)).as("still open").isZero();
      thread.commitTransaction(); // not fenced: would throw
    }
  }

  @Test
  void aRebalanceReportedAfterCloseIsIgnored() {
    try (Admin admin = Admin.create(broker.clientConfig())) {
      LeftInstanceFencer fencer =
          new LeftInstanceFencer(admin, app, Duration.ofSeconds(30), meters);
      fencer.close();
      // Kafka Streams calls its state listener on its own threads; it must never throw there.
      assertThatCode(
              () ->
                  fencer.onStateChange(KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING))
          .doesNotThrowAnyException();
    }
  }

  private KafkaProducer<String, String> transactional(String transactionalId) {
    Map<String, Object> c = broker.clientConfig();
    c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    c.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 120_000);
    KafkaProducer<String, String> p =
        new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    p.initTransactions();
    return p;
  }

  /** A group member of {@code group} with {@code clientId}, joined before this returns. */
  private KafkaConsumer<String, String> member(String group, String clientId, String topic) {
    Map<String, Object> c = broker.clientConfig();
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    consumer.subscribe(List.of(topic));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              consumer.poll(Duration.ofMillis(100));
              return !consumer.assignment().isEmpty();
            });
    return consumer;
  }

  private static long lastStableOffset(Admin admin, TopicPartition tp) throws Exception {
    return admin
        .listOffsets(
            Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
        .partitionResult(tp)
        .get()
        .offset();
  }

  private List<String> committedValues(String topic) {
    Map<String, Object> c = broker.clientConfig();
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> reader =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      reader.assign(List.of(tp));
      reader.seekToEnd(List.of(tp));
      long end = reader.position(tp);
      reader.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (reader.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : reader.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
