package io.editstream.demo;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.serde.AvroSerdes;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/** Turns sample jobs into {@link EditJob} records and publishes them, keyed by SKU. */
final class JobSubmitter implements AutoCloseable {
  static final String BATCH_ATTRIBUTE = "editstream.batch";

  private final KafkaProducer<String, EditJob> producer;
  private final String topic;
  private final String batch;
  private final Clock clock;

  JobSubmitter(
      Map<String, Object> kafka,
      Map<String, Object> registry,
      String topic,
      String batch,
      Clock clock) {
    Map<String, Object> config = new HashMap<>(kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "editstream-demo-submit");
    // Inline sample photos are up to ~0.5 MB; the default request limit (1 MB) is enough.
    this.producer =
        new KafkaProducer<>(
            config,
            new StringSerializer(),
            AvroSerdes.valueSerde(EditJob.class, registry).serializer());
    this.topic = topic;
    this.batch = batch;
    this.clock = clock;
  }

  /** The record the demo publishes for {@code job}. */
  static EditJob toEditJob(SampleJob job, String batch, Instant submittedAt) {
    byte[] bytes = SampleSet.image(job.image());
    return EditJob.newBuilder()
        .setJobId(job.jobId())
        .setTenant(job.tenant())
        .setSku(job.sku())
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType(SampleSet.IMAGES.get(job.image()))
                    .setData(ByteBuffer.wrap(bytes))
                    .build()))
        .setInstruction(job.instruction())
        .setSteps(job.steps().stream().map(s -> new EditStep(s)).toList())
        .setOutput(OutputSettings.newBuilder().setFormat(job.format()).setSize(job.size()).build())
        .setPriority(job.priority())
        .setSubmittedAt(submittedAt)
        .setAttributes(Map.of(BATCH_ATTRIBUTE, batch))
        .build();
  }

  /** Publishes every job and waits until the broker has acknowledged all of them. */
  void submitAll(List<SampleJob> jobs, Duration timeout) {
    List<Future<RecordMetadata>> sent =
        jobs.stream()
            .map(
                j ->
                    producer.send(
                        new ProducerRecord<>(topic, j.sku(), toEditJob(j, batch, clock.instant()))))
            .toList();
    producer.flush();
    try {
      for (Future<RecordMetadata> f : sent) {
        f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while submitting jobs", e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("could not submit the sample jobs to " + topic, e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
