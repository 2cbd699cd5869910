package io.editstream.bench.sidebyside;

import io.editstream.schema.EditJob;
import io.editstream.serde.AvroSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Child JVM main: the naive design (DESIGN.md §3), a Kafka Streams {@code mapValues} that calls the
 * model synchronously through the SDK. One stream thread, exactly_once_v2: nothing is lost and no
 * result is doubled, but one call at a time. Failures become a {@code failed:<status>} result.
 */
public final class NaiveChild {
  private NaiveChild() {}

  public static void main(String[] args) throws Exception {
    HeapSampler.start();
    ChildConfig c = ChildConfig.load(Path.of(args[0]));
    SdkEdit model =
        new SdkEdit(c.get("api.key"), c.get("model.base.url"), Duration.ofSeconds(120), 8);
    var jobs = AvroSerdes.valueSerde(EditJob.class, c.under("registry."));

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(c.get("topic.in"), Consumed.with(Serdes.String(), jobs))
        // The whole point: the stream thread waits for each call.
        .mapValues(
            job -> {
              SdkEdit.Answer a = model.edit(job);
              return a.ok() ? "ok" : "failed:" + a.status();
            })
        .to(c.get("topic.out"), Produced.with(Serdes.String(), Serdes.String()));

    Properties p = new Properties();
    p.putAll(c.under("kafka."));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, c.get("group.id"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.STATE_DIR_CONFIG, c.get("state.dir"));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    // Keep each poll's batch small so max.poll.interval.ms is never at risk.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);

    KafkaStreams streams = new KafkaStreams(builder.build(), p);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(Duration.ofSeconds(20));
                  stopped.countDown();
                }));
    streams.start();
    stopped.await();
  }
}
