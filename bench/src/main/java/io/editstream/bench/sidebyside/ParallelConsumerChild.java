package io.editstream.bench.sidebyside;

import com.google.common.util.concurrent.RateLimiter;
import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import io.editstream.schema.EditJob;
import io.editstream.serde.AvroSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Child JVM main: what a competent user builds instead of Editstream. Confluent Parallel Consumer
 * ({@code UNORDERED}, 64 in flight, the default {@code PERIODIC_CONSUMER_ASYNCHRONOUS} commits), a
 * Guava {@link RateLimiter} at the quota (1,000/min) in front of a synchronous SDK call, and {@code
 * pollAndProduce} writing one result record per job. Retryable answers (429, 5xx, timeouts) throw,
 * so Parallel Consumer retries the record with exponential backoff (1 s doubling to 30 s); other
 * errors become a {@code failed:<status>} result.
 */
public final class ParallelConsumerChild {
  private ParallelConsumerChild() {}

  public static void main(String[] args) throws Exception {
    HeapSampler.start();
    ChildConfig c = ChildConfig.load(Path.of(args[0]));
    int concurrency = c.integer("concurrency");
    SdkEdit model =
        new SdkEdit(
            c.get("api.key"), c.get("model.base.url"), Duration.ofSeconds(120), concurrency);
    Deserializer<EditJob> jobs =
        AvroSerdes.valueSerde(EditJob.class, c.under("registry.")).deserializer();
    String out = c.get("topic.out");

    Map<String, Object> consumerProps = new HashMap<>(c.under("kafka."));
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, c.get("group.id"));
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000);
    consumerProps.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000);
    Map<String, Object> producerProps = new HashMap<>(c.under("kafka."));
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");

    // Value type byte[] on both sides: pollAndProduce wants the consumer's and producer's types to
    // match, and the job is decoded inside the user function.
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
    KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
    ParallelConsumerOptions<String, byte[]> options =
        ParallelConsumerOptions.<String, byte[]>builder()
            .consumer(consumer)
            .producer(producer)
            .ordering(ProcessingOrder.UNORDERED)
            .maxConcurrency(concurrency)
            .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .retryDelayProvider(
                r ->
                    Duration.ofMillis(
                        Math.min(30_000, 1000L << Math.min(5, r.getNumberOfFailedAttempts() - 1))))
            // PC 0.5.3.2 reads a private field of KafkaConsumer to verify enable.auto.commit=false;
            // kafka-clients 4.x moved it (KafkaConsumer delegates), so the check cannot run. The
            // setting is false above.
            .ignoreReflectiveAccessExceptionsForAutoCommitDisabledCheck(true)
            .build();
    ParallelStreamProcessor<String, byte[]> pc =
        ParallelStreamProcessor.createEosStreamProcessor(options);
    RateLimiter limiter = RateLimiter.create(c.integer("rpm") / 60.0);
    pc.subscribe(List.of(c.get("topic.in")));
    pc.pollAndProduce(
        context -> {
          EditJob job =
              jobs.deserialize(context.getSingleConsumerRecord().topic(), context.value());
          limiter.acquire();
          SdkEdit.Answer a = model.edit(job);
          if (a.retryable()) {
            // Parallel Consumer retries a record whose function throws.
            throw new IllegalStateException("retryable model answer " + a.status());
          }
          String value = a.ok() ? "ok" : "failed:" + a.status();
          return new ProducerRecord<>(out, context.key(), value.getBytes(StandardCharsets.UTF_8));
        });

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  pc.closeDontDrainFirst(Duration.ofSeconds(20));
                  stopped.countDown();
                }));
    stopped.await();
  }
}
