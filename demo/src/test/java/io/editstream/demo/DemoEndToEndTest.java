package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo the way the README does, in a JVM of its own (so its exit, shutdown hooks and child
 * processes are part of the test): real in-JVM broker, real Apicurio registry process, emulator
 * over HTTP, processor. Asserts the console, the output folder and that the registry process is
 * gone afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoEndToEndTest {
  private static final Pattern REGISTRY_PORT =
      Pattern.compile("registry: http://127\\.0\\.0\\.1:(\\d+)/");

  private Path output;
  private int exitCode;
  private String console;
  private JsonNode summary;

  @BeforeAll
  void runDemo(@TempDir Path work) throws Exception {
    output = work.resolve("out");
    Path consoleFile = work.resolve("console.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.add("-Deditstream.apicurio.home=" + System.getProperty("editstream.apicurio.home"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DemoMain.class.getName());
    cmd.add("--output=" + output);
    cmd.add("--emulator-latency-ms=300");
    cmd.add("--timeout-s=90");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(consoleFile.toFile());
    // The emulator path, whatever the machine's environment says.
    pb.environment().remove("GEMINI_API_KEY");
    pb.environment().remove("GEMINI_BASE_URL");
    Process demo = pb.start();
    boolean exited = demo.waitFor(150, TimeUnit.SECONDS);
    if (!exited) {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    console = Files.readString(consoleFile, StandardCharsets.UTF_8);
    assertThat(exited).as("demo finished within 150 s; console:%n%s", console).isTrue();
    exitCode = demo.exitValue();
    Path json = output.resolve(Demo.SUMMARY_JSON);
    assertThat(json).as("summary.json; console:%n%s", console).exists();
    summary = new ObjectMapper().readTree(json.toFile());
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
    assertThat(html).contains("PROMPT_BLOCKED").contains("cached");
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
  void shouldLeaveNoRegistryProcessBehind() {
    Matcher m = REGISTRY_PORT.matcher(console);
    assertThat(m.find()).as("registry URL on the console:%n%s", console).isTrue();
    String port = "quarkus.http.port=" + m.group(1);
    List<String> left =
        ProcessHandle.allProcesses()
            .filter(p -> p.info().commandLine().map(c -> c.contains(port)).orElse(false))
            .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
            .toList();
    assertThat(left).as("processes still running with %s", port).isEmpty();
  }
}
