package io.editstream.bench.throughput;

import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.schema.EditJob;
import io.editstream.schema.ImageSize;
import io.editstream.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The design DESIGN.md §3 argues against, measured: a {@code mapValues} that calls the model
 * synchronously, so one stream thread makes one call at a time.
 */
final class NaiveSyncBench {

  record Result(int outcomes, double jobsPerMinute) {}

  private NaiveSyncBench() {}

  static Result run(BenchEnv env, String emulatorUrl, Duration window) throws Exception {
    String prefix = env.newPrefix("naive");
    String in = prefix + "edit-jobs";
    String out = prefix + "naive-outcomes";
    env.broker.createTopic(in, 6);
    env.broker.createTopic(out, 6);
    byte[] image = Images.noisePng(10_000, 3);
    // Far more than the window can drain, so the thread is never idle.
    int backlog = (int) Math.max(50, window.toSeconds());
    try (KafkaProducer<String, EditJob> producer = env.jobProducer()) {
      for (int i = 0; i < backlog; i++) {
        String id = "naive-" + i;
        producer.send(
            new ProducerRecord<>(
                in, id, BenchEnv.job(id, "bench", "remove the background, naive " + i, image)));
      }
      producer.flush();
    }

    Map<String, Object> serde = new HashMap<>(env.registry.clientConfig());
    try (GeminiModelClient model =
        new GeminiModelClient(
            new GeminiModelClient.Settings(
                BenchEnv.API_KEY, emulatorUrl, Duration.ofSeconds(120), 8))) {
      StreamsBuilder builder = new StreamsBuilder();
      builder.stream(
              in, Consumed.with(Serdes.String(), AvroSerdes.valueSerde(EditJob.class, serde)))
          // The whole point: the stream thread waits for each call.
          .mapValues(job -> describe(model, job))
          .to(out, Produced.with(Serdes.String(), Serdes.String()));
      Properties p = new Properties();
      env.broker.clientConfig().forEach(p::put);
      p.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "naive");
      p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
      p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
      p.put(StreamsConfig.STATE_DIR_CONFIG, env.work.resolve(prefix + "state").toString());
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
      // Keep each poll's batch small so max.poll.interval.ms is never at risk.
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5);

      Map<String, Object> c = new HashMap<>(env.broker.clientConfig());
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.GROUP_ID_CONFIG, prefix + "reader");
      try (KafkaStreams streams = new KafkaStreams(builder.build(), p);
          KafkaConsumer<String, String> reader =
              new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
        reader.subscribe(List.of(out));
        streams.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
          reader.poll(Duration.ofMillis(50));
        }
        // Steady state: start the clock at the first outcome, so start-up is not counted.
        long firstDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (reader.poll(Duration.ofMillis(50)).isEmpty() && System.nanoTime() < firstDeadline) {
          // waiting for the first synchronous call to finish
        }
        long start = System.nanoTime();
        long end = start + window.toNanos();
        int seen = 0;
        while (System.nanoTime() < end) {
          seen += reader.poll(Duration.ofMillis(100)).count();
        }
        double minutes = (System.nanoTime() - start) / 60e9;
        streams.close(Duration.ofSeconds(10));
        return new Result(seen, seen / minutes);
      }
    }
  }

  private static String describe(GeminiModelClient model, EditJob job) {
    ByteBuffer data = job.getImages().get(0).getData().duplicate();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    ModelRequest request =
        new ModelRequest(
            "gemini-3.1-flash-image-preview",
            List.of(new ModelRequest.InputPart(bytes, "image/png")),
            job.getInstruction(),
            List.of(),
            ImageSize.SIZE_512,
            null);
    try {
      Outcome outcome = model.generate(request).get();
      return outcome instanceof Outcome.Success ? "ok" : "failed";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (ExecutionException e) {
      return "error";
    }
  }
}
