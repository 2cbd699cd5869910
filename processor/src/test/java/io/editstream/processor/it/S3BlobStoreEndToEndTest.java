package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished images every host can read (DESIGN.md §13): with blob.store=s3 and images too large to
 * inline, results carry the object's s3:// URI and a presigned URL that a plain HTTP GET, without
 * credentials, reads with the right SHA-256 — for a new image and for a cache hit alike.
 */
@ExtendWith(RealInfra.class)
class S3BlobStoreEndToEndTest {

  @Test
  @SuppressWarnings("try") // the processor only has to run while the body works
  void shouldPublishS3UrisWithPresignedUrlsThatPlainHttpCanRead(S3Server s3, @TempDir Path work)
      throws Exception {
    String bucket = TestTopics.unique("results").toLowerCase(Locale.ROOT);
    s3.createBucket(bucket);
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withApiKey(Pipeline.API_KEY).withLatencyMeanMs(20));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.putAll(s3.blobSettings(bucket));
      settings.put("blob.s3.prefix", "editstream/");
      settings.put("blob.s3.presign.ttl", "15m");
      settings.put("output.inline.max.bytes", "1024");
      Instant start = Instant.now();
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        pipeline.send(job("s3-new", "remove the background", rocket));
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.answered("s3-new"), Duration.ofSeconds(60)))
            .isTrue();
        // The same edit again: answered by the dedup cache, with a freshly signed URL.
        pipeline.send(job("s3-hit", "remove the background", rocket));
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.answered("s3-hit"), Duration.ofSeconds(60)))
            .isTrue();
      }
      assertThat(pipeline.failures).isEmpty();
      EditResult fresh = pipeline.results.get("s3-new");
      EditResult hit = pipeline.results.get("s3-hit");
      assertThat(fresh.getCacheHit()).isFalse();
      assertThat(hit.getCacheHit()).isTrue();
      OutputImage image = fresh.getImages().get(0);
      assertThat(image.getUri())
          .isEqualTo("s3://" + bucket + "/editstream/" + image.getSha256() + ".png");
      assertThat(image.getData()).as("too large to inline").isNull();
      assertThat(hit.getImages().get(0).getUri()).isEqualTo(image.getUri());
      for (EditResult result : new EditResult[] {fresh, hit}) {
        OutputImage published = result.getImages().get(0);
        assertThat(published.getPresignedUrl()).as(result.getJobId()).isNotNull();
        assertThat(published.getPresignedUrlExpiresAt())
            .isBetween(
                start.plus(Duration.ofMinutes(14)), Instant.now().plus(Duration.ofMinutes(15)));
        HttpResponse<byte[]> response =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(published.getPresignedUrl())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).hasSize((int) image.getSizeBytes());
        assertThat(Hashing.sha256().hashBytes(response.body()).toString())
            .isEqualTo(image.getSha256());
      }
      assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket).prefix("editstream/")).contents())
          .extracting(o -> o.key())
          .containsExactly("editstream/" + image.getSha256() + ".png");
    }
  }

  /**
   * The S3 endpoint is down for 30 s while jobs run: every finished image waits for the store
   * (retried with backoff, the paid image kept), and once the store is back every job completes
   * with one model call, readable, and nothing lost or failed. Also: an s3:// input from an allowed
   * bucket is edited, one from another bucket is refused without a model call.
   */
  @Test
  void shouldWaitOutAThirtySecondS3OutageWithoutRepeatingModelCalls(S3Server s3, @TempDir Path work)
      throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        s3.supportsRestart(), "needs the embedded S3Proxy (an external S3 cannot be stopped)");
    String bucket = TestTopics.unique("outage").toLowerCase(Locale.ROOT);
    String inputs = TestTopics.unique("inputs").toLowerCase(Locale.ROOT);
    String other = TestTopics.unique("other").toLowerCase(Locale.ROOT);
    for (String b : new String[] {bucket, inputs, other}) {
      s3.createBucket(b);
    }
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    s3.client()
        .putObject(
            r -> r.bucket(inputs).key("in/rocket.jpg"),
            software.amazon.awssdk.core.sync.RequestBody.fromBytes(rocket));
    s3.client()
        .putObject(
            r -> r.bucket(other).key("rocket.jpg"),
            software.amazon.awssdk.core.sync.RequestBody.fromBytes(rocket));
    int jobs = 8;
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withApiKey(Pipeline.API_KEY).withLatencyMeanMs(20));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.putAll(s3.blobSettings(bucket));
      settings.put("blob.s3.presign.ttl", "15m");
      settings.put("input.s3.allowed.buckets", inputs);
      settings.put("output.inline.max.bytes", "0");
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)))) {
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
        pipeline.send(
            Pipeline.uriJob("s3-input", "s3://" + inputs + "/in/rocket.jpg", "image/jpeg"));
        pipeline.send(Pipeline.uriJob("s3-refused", "s3://" + other + "/rocket.jpg", "image/jpeg"));
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () -> pipeline.answered("s3-input") && pipeline.answered("s3-refused"),
                    Duration.ofSeconds(60)))
            .isTrue();
        long callsBefore = emulator.stats().requests();

        long down = System.nanoTime();
        s3.stop();
        try {
          for (int i = 0; i < jobs; i++) {
            pipeline.send(job("outage-" + i, "add a drop shadow, variant " + i, rocket));
          }
          pipeline.flush();
          // The model answers; every finished image now waits for the store.
          org.awaitility.Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      processor.meters().counter("editstream.blob.store.retries").count() >= jobs);
          assertThat(pipeline.outcomes()).as("nothing ends while the store is down").isEqualTo(2);
          // Keep the store down for the full 30 s outage.
          org.awaitility.Awaitility.await()
              .pollInterval(Duration.ofMillis(500))
              .atMost(Duration.ofSeconds(40))
              .until(() -> System.nanoTime() - down >= Duration.ofSeconds(30).toNanos());
        } finally {
          s3.start();
        }
        assertThat(
                pipeline.readUntil(() -> pipeline.outcomes() == jobs + 2, Duration.ofSeconds(90)))
            .as("every job completes once the store is back")
            .isTrue();
        assertThat(emulator.stats().requests() - callsBefore)
            .as("one model call per job: no paid call repeated")
            .isEqualTo(jobs);
      }
      assertThat(pipeline.failures.keySet()).containsExactly("s3-refused");
      assertThat(pipeline.failures.get("s3-refused").getCode())
          .isEqualTo(io.editstream.schema.FailureCode.URI_NOT_ALLOWED);
      assertThat(pipeline.failures.get("s3-refused").getMessage())
          .contains("input.s3.allowed.buckets");
      assertThat(pipeline.results.get("s3-input").getImages().get(0).getUri()).startsWith("s3://");
      assertThat(pipeline.duplicateOutcomes).isZero();
      for (int i = 0; i < jobs; i++) {
        OutputImage image = pipeline.results.get("outage-" + i).getImages().get(0);
        HttpResponse<byte[]> response =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(image.getPresignedUrl())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Hashing.sha256().hashBytes(response.body()).toString())
            .isEqualTo(image.getSha256());
      }
    }
  }
}
