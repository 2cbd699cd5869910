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
      settings.put("blob.store", "s3");
      settings.put("blob.s3.bucket", bucket);
      settings.put("blob.s3.prefix", "editstream/");
      settings.put("blob.s3.endpoint", s3.endpoint().toString());
      settings.put("blob.s3.path.style", Boolean.toString(s3.pathStyle()));
      settings.put("blob.s3.region", s3.region());
      settings.put("blob.s3.access.key", s3.accessKey());
      settings.put("blob.s3.secret.key", s3.secretKey());
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
}
