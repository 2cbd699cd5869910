package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --blob-store s3}, run like {@link DemoEndToEndTest} in a JVM of its own: the processor
 * stores every finished image in an embedded S3Proxy bucket and inlines none, and the demo reads
 * each one back by its presigned URL over plain HTTP, as a consumer on another host would. One run
 * (about 40 s); the job outcomes themselves are {@link DemoEndToEndTest}'s subject.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoS3EndToEndTest {
  private static final Pattern S3PROXY_PORT =
      Pattern.compile("S3 \\(S3Proxy at http://127\\.0\\.0\\.1:(\\d+),");

  private DemoRun run;
  private JsonNode summary;

  @BeforeAll
  void runDemo(@TempDir Path work) throws Exception {
    run = DemoRun.run(work, "--blob-store=s3");
    summary = run.summary();
  }

  @Test
  void shouldExitZeroWithOneOutcomePerJob() {
    assertThat(run.exitCode()).as(run.console()).isZero();
    assertThat(summary.get("missing")).isEmpty();
    assertThat(summary.get("duplicateOutcomes").asInt()).isZero();
    assertThat(summary.get("results").asInt()).isEqualTo(SampleSet.EXPECTED_RESULTS);
    assertThat(summary.get("cacheHits").asInt()).isEqualTo(SampleSet.EXPECTED_CACHE_HITS);
  }

  @Test
  void shouldReadEveryImageByItsPresignedUrl() throws Exception {
    // Cache hits too: they carry a freshly signed URL of the stored image.
    JsonNode reads = summary.get("imageReads");
    assertThat(reads.size()).as("image reads %s", reads).isEqualTo(1);
    assertThat(reads.get(FinishedImages.PRESIGNED_URL).asInt())
        .isEqualTo(SampleSet.EXPECTED_RESULTS);
    JsonNode images = summary.get("images");
    assertThat(images).hasSize(SampleSet.EXPECTED_RESULTS);
    for (JsonNode name : images) {
      BufferedImage image = ImageIO.read(run.output().resolve(name.asText()).toFile());
      assertThat(image).as("decodable image %s", name).isNotNull();
    }
  }

  @Test
  void shouldNameTheS3StoreInTheSummaryTable() {
    assertThat(summary.get("blobStore").asText())
        .matches("S3 \\(S3Proxy at http://127\\.0\\.0\\.1:\\d+, bucket demo-[0-9-]+\\),.*")
        .contains("presigned URLs");
    assertThat(run.console())
        .contains("| blob store")
        .contains("| images read by   | presigned URL " + SampleSet.EXPECTED_RESULTS)
        .doesNotContain("ERROR");
  }

  @Test
  void shouldLeaveNoS3ProxyProcessBehind() {
    assertThat(run.processesNamedBy(S3PROXY_PORT, "s3proxy-"))
        .as("S3Proxy processes still running")
        .isEmpty();
  }
}
