package io.editstream.demo;

import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.KafkaJobSink;
import io.editstream.cli.listen.BatchTracker;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns sample jobs into {@link EditJob} records and publishes them with the command line's
 * idempotent job producer ({@link KafkaJobSink}, keyed by job id), tagged with a batch id.
 */
final class JobSubmitter implements AutoCloseable {
  private final KafkaJobSink sink;
  private final Photos photos;
  private final String batch;
  private final Clock clock;

  JobSubmitter(Connection connection, Photos photos, String batch, Clock clock) {
    this.sink = KafkaJobSink.open(connection);
    this.photos = photos;
    this.batch = batch;
    this.clock = clock;
  }

  /**
   * The command line's connection settings for the demo's broker, registry and topics: client
   * settings other than the addresses (security, registry auth) pass through.
   */
  static Connection connection(
      Map<String, Object> kafka, Map<String, Object> registry, Topics topics) {
    Properties extra = new Properties();
    // Own photos (--images) can be several MB; the processor's topics take 8 MB records.
    extra.setProperty("max.request.size", String.valueOf(8 * 1024 * 1024));
    kafka.forEach(
        (k, v) -> {
          if (!k.equals("bootstrap.servers")) {
            extra.setProperty(k, String.valueOf(v));
          }
        });
    registry.forEach(
        (k, v) -> {
          if (!k.equals("schema.registry.url")) {
            extra.setProperty(k, String.valueOf(v));
          }
        });
    return Connection.of(
        String.valueOf(kafka.get("bootstrap.servers")),
        String.valueOf(registry.get("schema.registry.url")),
        extra,
        new io.editstream.cli.kafka.Topics(topics.jobs(), topics.results(), topics.failures()),
        Duration.ofSeconds(30));
  }

  /** The record the demo publishes for {@code job}. */
  static EditJob toEditJob(SampleJob job, Photos photos, String batch, Instant submittedAt) {
    byte[] bytes = photos.bytes(job.image());
    return EditJob.newBuilder()
        .setJobId(job.jobId())
        .setTenant(job.tenant())
        .setSku(job.sku())
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType(photos.mimeType(job.image()))
                    .setData(ByteBuffer.wrap(bytes))
                    .build()))
        .setInstruction(job.instruction())
        .setSteps(job.steps().stream().map(EditStep::new).toList())
        .setOutput(OutputSettings.newBuilder().setFormat(job.format()).setSize(job.size()).build())
        .setPriority(job.priority())
        .setSubmittedAt(submittedAt)
        .setAttributes(Map.of(BatchTracker.BATCH, batch))
        .build();
  }

  /** Publishes every job and waits until the broker has acknowledged all of them. */
  void submitAll(List<SampleJob> jobs, Duration timeout) {
    List<CompletableFuture<Void>> acks =
        jobs.stream()
            .map(
                j -> {
                  CompletableFuture<Void> ack = new CompletableFuture<>();
                  sink.send(
                      toEditJob(j, photos, batch, clock.instant()),
                      e -> {
                        if (e == null) {
                          ack.complete(null);
                        } else {
                          ack.completeExceptionally(e);
                        }
                      });
                  return ack;
                })
            .toList();
    sink.flush();
    try {
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while submitting jobs", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not submit the sample jobs: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    sink.close();
  }
}
