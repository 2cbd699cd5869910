package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo the way the README does ({@link DemoRun}: a JVM of its own, so its exit, shutdown
 * hooks and child processes are part of the test): real in-JVM broker, real Apicurio registry
 * process, emulator over HTTP, processor, local blob store. Asserts the console, the output folder
 * and that the registry process is gone afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoEndToEndTest {
  private static final Pattern REGISTRY_PORT =
      Pattern.compile("registry: http://127\\.0\\.0\\.1:(\\d+)/");

  private Path output;
  private int exitCode;
  private String console;
  private JsonNode summary;
  private DemoRun run;

  @BeforeAll
  void runDemo(@TempDir Path work) throws Exception {
    run = DemoRun.run(work);
    output = run.output();
    exitCode = run.exitCode();
    console = run.console();
    summary = run.summary();
  }

  @Test
  void shouldExitZeroWithOneOutcomePerJob() {
    assertThat(exitCode).as(console).isZero();
    assertThat(summary.get("jobs").asInt()).isEqualTo(SampleSet.JOBS.size());
    assertThat(summary.get("missing")).isEmpty();
    assertThat(summary.get("duplicateOutcomes").asInt()).isZero();
    assertThat(summary.get("deadLetters").asInt()).isZero();
  }

  @Test
  void shouldAnswerDuplicatesFromTheCacheAndFailTheBlockedJob() {
    assertThat(summary.get("results").asInt()).isEqualTo(SampleSet.EXPECTED_RESULTS);
    assertThat(summary.get("cacheHits").asInt()).isEqualTo(SampleSet.EXPECTED_CACHE_HITS);
    assertThat(summary.get("failuresByCode").get("PROMPT_BLOCKED").asInt()).isEqualTo(1);
    assertThat(summary.get("failuresByCode").size()).isEqualTo(1);
  }

  @Test
  void shouldCountModelCallsFromTheEmulator() {
    assertThat(summary.get("modelCalls").asLong()).isEqualTo(SampleSet.EXPECTED_MODEL_CALLS);
    // One injected 503 (rocket-retry's first attempt), everything else answered 200.
    assertThat(summary.get("modelAnswersByStatus").get("503").asLong()).isEqualTo(1);
    assertThat(summary.get("modelAnswersByStatus").get("200").asLong())
        .isEqualTo(SampleSet.EXPECTED_MODEL_CALLS - 1);
    assertThat(summary.get("promptTokens").asLong()).isPositive();
    assertThat(summary.get("outputTokens").asLong()).isPositive();
  }

  @Test
  void shouldWriteOneDecodableImagePerResult() throws IOException {
    JsonNode images = summary.get("images");
    assertThat(images).hasSize(SampleSet.EXPECTED_RESULTS);
    for (JsonNode name : images) {
      Path file = output.resolve(name.asText());
      BufferedImage image = ImageIO.read(file.toFile());
      // ImageIO has no WebP reader; the sample set asks for PNG and JPEG only.
      assertThat(image).as("decodable image %s", file).isNotNull();
      assertThat(image.getWidth()).isGreaterThan(0);
    }
    try (var files = Files.walk(output.resolve(ReportWriter.IMAGES))) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(SampleSet.EXPECTED_RESULTS);
    }
  }

  @Test
  void shouldWriteAReportWhoseImagesExist() throws IOException {
    String html = Files.readString(output.resolve(ReportWriter.REPORT));
    for (SampleJob job : SampleSet.JOBS) {
      assertThat(html).contains(job.jobId());
    }
    assertThat(html)
        .contains("PROMPT_BLOCKED")
        .contains("cached")
        .contains("Next step:</b> Blocked by the model&#39;s safety filter")
        .contains("dedup cache (no model call)")
        .contains("Cost of these jobs: $")
        // Named by the photo and the job: a person finds the white mug without a lookup.
        .contains("src=\"images/SKU-MUG-001/coffee-mug-white.png\"")
        .contains("src=\"images/SKU-MUG-001/coffee-mug-white-rerun-1.png\"");
    Matcher src = Pattern.compile("src=\"([^\"]+)\"").matcher(html);
    int count = 0;
    while (src.find()) {
      assertThat(output.resolve(src.group(1))).as("report image %s", src.group(1)).exists();
      count++;
    }
    // One "before" per job, one "after" per result.
    assertThat(count).isEqualTo(SampleSet.JOBS.size() + SampleSet.EXPECTED_RESULTS);
    assertThat(html).doesNotContain("src=\"/").doesNotContain("src=\"file:");
  }

  @Test
  void shouldPrintTheSummaryTableAndKeepBrokerNoiseInTheLog() throws IOException {
    assertThat(console)
        .contains("| jobs submitted")
        .contains("| results (images) | 9 (3 from the dedup cache, 6 new)")
        .contains("PROMPT_BLOCKED 1")
        .doesNotContain("Formatting metadata directory")
        .doesNotContain("ERROR");
    assertThat(Files.readString(output.resolve(DemoMain.LOG_FILE)))
        .contains("Formatting metadata directory");
  }

  @Test
  void shouldKeepTheLocalBlobStoreAndReadImagesInlineOrFromItsDirectory() {
    assertThat(summary.get("blobStore").asText()).startsWith("local directory");
    java.util.Map<String, Integer> reads = new java.util.TreeMap<>();
    summary
        .get("imageReads")
        .properties()
        .forEach(e -> reads.put(e.getKey(), e.getValue().asInt()));
    assertThat(reads.keySet()).isSubsetOf(FinishedImages.INLINE, "file URI");
    assertThat(reads.values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(SampleSet.EXPECTED_RESULTS);
  }

  @Test
  void shouldLeaveNoRegistryProcessBehind() {
    assertThat(run.processesNamedBy(REGISTRY_PORT, "quarkus.http.port="))
        .as("registry processes still running")
        .isEmpty();
  }
}
