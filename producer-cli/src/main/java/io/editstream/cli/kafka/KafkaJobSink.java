package io.editstream.cli.kafka;

import io.editstream.cli.submit.JobSink;
import io.editstream.schema.EditJob;
import io.editstream.serde.SerdeException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends jobs to the jobs topic keyed by jobId, with an idempotent producer ({@code acks=all}), so a
 * retried send never duplicates a record.
 */
public final class KafkaJobSink implements JobSink {
  private final KafkaProducer<String, EditJob> producer;
  private final String topic;
  private final Connection conn;

  private KafkaJobSink(KafkaProducer<String, EditJob> producer, String topic, Connection conn) {
    this.producer = producer;
    this.topic = topic;
    this.conn = conn;
  }

  /**
   * Checks that Kafka answers and the jobs topic exists (exit code 3 if not, naming the option to
   * change), then opens a producer.
   */
  public static KafkaJobSink open(Connection conn) {
    // Without the check a missing topic shows as "not present in metadata" after the timeout.
    Clients.partitions(conn, conn.topics().jobs(), "editstream-cli-submit-check", "--jobs-topic");
    return new KafkaJobSink(producer(conn, "editstream-cli-submit"), conn.topics().jobs(), conn);
  }

  /** An idempotent producer of jobs; {@code max.block.ms} is the connect timeout. */
  static KafkaProducer<String, EditJob> producer(Connection conn, String clientId) {
    Map<String, Object> config = conn.kafkaClient();
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, Clients.timeoutMs(conn.timeout()));
    return new KafkaProducer<>(
        config, new StringSerializer(), Clients.serializer(EditJob.class, conn));
  }

  @Override
  public void send(EditJob job, Consumer<Exception> done) {
    try {
      producer.send(
          new ProducerRecord<>(topic, job.getJobId(), job), (metadata, e) -> done.accept(e));
    } catch (SerdeException e) {
      throw Clients.serdeFailure(e, conn);
    }
  }

  @Override
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
