package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
import io.editstream.cli.TestImages;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code submit --lane} against the real broker, registry, a processor with {@code
 * batch.lane=per-job} and the emulator's Batch API (issue 18.6): the jobs asking for the batch lane
 * go by batch and come back marked {@code batch} at half price, the others online; {@code listen}
 * prints each job's lane and cost and the batch saving, and so does the HTML report.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliLaneEndToEndTest {
  private static final Pattern JOB_LINE =
      Pattern.compile("^  (\\S+)  sku=(\\S+)  ok  lane=(\\w+)  \\$([0-9.]+)$", Pattern.MULTILINE);

  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final String prefix = TestTopics.unique("cli-lane") + ".";
  private Emulator emulator;
  private EditstreamProcessor processor;
  private Path work;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    work = dir;
    for (String t : List.of("edit-jobs", "edit-results", "edit-failures", "edit-jobs-dlq")) {
      broker.createTopic(prefix + t, 2);
    }
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey("cli-key-0123456789")
                .withLatencyMeanMs(5)
                .withSeed(12)
                .withBatchTurnaround(Duration.ofMillis(500)));
    Map<String, String> s =
        ProcessorSettings.of(broker, registry, emulator, "cli-key-0123456789", prefix, dir);
    s.put("batch.lane", "per-job");
    s.put("batch.max.wait.ms", "500");
    s.put("batch.poll.interval.ms", "200");
    processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)));
    assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
  }

  @AfterAll
  void stop() {
    if (processor != null) {
      processor.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  private CliRunner.Result cli(String command, String... args) {
    return CliRunner.run(broker, registry, prefix, command, args);
  }

  private Path manifest(String name, String skuPrefix) throws Exception {
    TestImages.copy(TestImages.JPEG, work, name + "/rocket.jpg");
    TestImages.copy(TestImages.PNG, work, name + "/cat.png");
    Path manifest = work.resolve(name + "/catalogue.csv");
    Files.writeString(
        manifest,
        "sku,images,instruction,size\n"
            + skuPrefix
            + "-1,rocket.jpg,add a launch banner,512\n"
            + skuPrefix
            + "-2,cat.png,remove the background,512\n");
    return manifest;
  }

  @Test
  void jobsSubmittedWithLaneBatchShouldGoByBatchAndListenShouldShowLaneCostAndSaving()
      throws Exception {
    Path batchJobs = work.resolve("batch.json");
    Path onlineJobs = work.resolve("online.json");
    CliRunner.Result byBatch =
        cli(
            "submit",
            "--manifest",
            manifest("b", "BATCH").toString(),
            "--tenant",
            "acme",
            "--lane",
            "batch",
            "--batch-id",
            "lane-b",
            "--batch-file",
            batchJobs.toString());
    assertThat(byBatch.exitCode()).as(byBatch.toString()).isZero();
    CliRunner.Result online =
        cli(
            "submit",
            "--manifest",
            manifest("o", "ONLINE").toString(),
            "--tenant",
            "acme",
            "--batch-id",
            "lane-o",
            "--batch-file",
            onlineJobs.toString());
    assertThat(online.exitCode()).as(online.toString()).isZero();

    Path report = work.resolve("report/report.html");
    CliRunner.Result listenBatch =
        cli(
            "listen",
            "--batch-file",
            batchJobs.toString(),
            "--per-job",
            "--report",
            report.toString(),
            "--timeout",
            "120s");
    CliRunner.Result listenOnline =
        cli("listen", "--batch-file", onlineJobs.toString(), "--per-job", "--timeout", "120s");

    assertThat(listenBatch.exitCode()).as(listenBatch.toString()).isZero();
    assertThat(listenOnline.exitCode()).as(listenOnline.toString()).isZero();
    List<String[]> batchLines = jobLines(listenBatch.out());
    List<String[]> onlineLines = jobLines(listenOnline.out());
    assertThat(batchLines).as(listenBatch.out()).hasSize(2);
    assertThat(onlineLines).as(listenOnline.out()).hasSize(2);
    assertThat(batchLines).allSatisfy(l -> assertThat(l[2]).isEqualTo("batch"));
    assertThat(onlineLines).allSatisfy(l -> assertThat(l[2]).isEqualTo("online"));
    // Same sizes and prompts of the same kind: a batch answer costs half an online one.
    double batchCost = batchLines.stream().mapToDouble(l -> Double.parseDouble(l[3])).sum();
    double onlineCost = onlineLines.stream().mapToDouble(l -> Double.parseDouble(l[3])).sum();
    assertThat(batchCost)
        .isPositive()
        .isCloseTo(onlineCost / 2, org.assertj.core.data.Offset.offset(0.0002));
    assertThat(listenBatch.out())
        .containsPattern("lanes +online 0 \\(\\$0\\.0000\\), batch 2 ")
        .contains("at the online price: saved $");
    assertThat(listenOnline.out()).contains("lanes       online 2 (");

    var stats = emulator.stats();
    assertThat(stats.batchRequests()).as("the two jobs asking for it").isEqualTo(2);
    assertThat(stats.requests()).as("the two others").isEqualTo(2);

    String html = Files.readString(report);
    assertThat(html)
        .contains("<th data-sort=\"lane\">lane</th>")
        .contains("<td class=\"lane\">batch</td>")
        .doesNotContain("<td class=\"lane\">online</td>")
        .contains("<li id=\"batch-saving\">Batch saving: $");
  }

  private static List<String[]> jobLines(String out) {
    List<String[]> lines = new ArrayList<>();
    Matcher m = JOB_LINE.matcher(out);
    while (m.find()) {
      lines.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
    }
    return lines;
  }
}
