package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.TestImages;
import io.editstream.cli.submit.BatchFile;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code editstream job} against a running processor (real broker, registry, emulator over HTTP): a
 * SKU's jobs in progress are listed, one job is followed to its result and its outcome record, an
 * unknown id says so, and an unreachable processor names the option to fix.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliJobEndToEndTest {
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final String prefix = TestTopics.unique("clijob") + ".";
  private Emulator emulator;
  private EditstreamProcessor processor;
  private Path work;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    work = dir;
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey("cli-key-0123456789")
                .withLatencyMeanMs(5)
                .withSeed(12));
    Map<String, String> s =
        ProcessorSettings.of(broker, registry, emulator, "cli-key-0123456789", prefix, dir);
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

  private CliRunner.Result kafkaCli(String command, String... args) {
    return CliRunner.run(broker, registry, prefix, command, args);
  }

  private String processorUrl() {
    return "http://127.0.0.1:" + processor.httpPort();
  }

  @Test
  void shouldListASkusJobsInProgressAndFollowOneToItsOutcomeRecord() throws Exception {
    TestImages.copy(TestImages.PNG, work, "m/cat.png");
    Path manifest = work.resolve("m/slow.csv");
    // Slow model calls, so the jobs are still in progress when listed (with room for a busy
    // machine: the listing must come within the calls' 10 s).
    Files.writeString(
        manifest,
        "sku,images,instruction,size\n"
            + "SLOW-1,cat.png,remove the background [emulator:slow=10000],512\n"
            + "SLOW-1,cat.png,add a drop shadow [emulator:slow=10000],512\n");
    Path batchFile = work.resolve("slow.json");
    CliRunner.Result submit =
        kafkaCli(
            "submit",
            "--manifest",
            manifest.toString(),
            "--tenant",
            "acme",
            "--batch-file",
            batchFile.toString());
    assertThat(submit.exitCode()).as(submit.toString()).isZero();
    List<String> ids =
        BatchFile.read(batchFile).jobs().stream().map(BatchFile.Entry::jobId).toList();
    assertThat(ids).hasSize(2);

    String[] listing = {
      "job", "--sku", "SLOW-1", "--tenant", "acme", "--processor", processorUrl()
    };
    AtomicReference<CliRunner.Result> seen = new AtomicReference<>();
    Awaitility.await("both jobs listed in progress")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              seen.set(CliRunner.run(listing));
              return seen.get().out().contains("2 job(s) in progress");
            });
    CliRunner.Result listed = seen.get();
    assertThat(listed.exitCode()).as(listed.toString()).isZero();
    assertThat(listed.out())
        .as(listed.toString())
        .contains("SKU SLOW-1 (tenant acme): 2 job(s) in progress")
        .contains(ids.get(0))
        .contains(ids.get(1));

    CliRunner.Result followed =
        CliRunner.run(
            "job", ids.get(0), "--follow", "--timeout", "90s", "--processor", processorUrl());
    assertThat(followed.exitCode()).as(followed.toString()).isEqualTo(ExitCodes.OK);
    assertThat(followed.out())
        .contains("job " + ids.get(0) + "  SUCCEEDED at ")
        .contains("sku          SLOW-1 (tenant acme)")
        .contains("record       " + prefix + "edit-results partition ")
        .contains("image        ");
    assertThat(followed.out().lines().filter(l -> l.startsWith("job ")).count())
        .as("a line per state seen: %s", followed.out())
        .isGreaterThanOrEqualTo(1);

    CliRunner.Result json =
        CliRunner.run("job", ids.get(1), "--json", "--processor", processorUrl());
    assertThat(json.exitCode()).isZero();
    assertThat(json.out()).contains("\"jobId\":\"" + ids.get(1) + "\"");
  }

  @Test
  void shouldCancelARunningJobToOneCancelledOutcome() throws Exception {
    TestImages.copy(TestImages.PNG, work, "c/cat.png");
    Path manifest = work.resolve("c/cancel.csv");
    Files.writeString(
        manifest,
        "sku,images,instruction,size\n"
            + "CANCEL-1,cat.png,remove the background [emulator:slow=20000],512\n");
    Path batchFile = work.resolve("cancel.json");
    CliRunner.Result submit =
        kafkaCli(
            "submit",
            "--manifest",
            manifest.toString(),
            "--tenant",
            "acme",
            "--batch-file",
            batchFile.toString());
    assertThat(submit.exitCode()).as(submit.toString()).isZero();
    String id = BatchFile.read(batchFile).jobs().get(0).jobId();
    Awaitility.await("the job's call is running")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                CliRunner.run("job", id, "--processor", processorUrl())
                    .out()
                    .contains("IN_FLIGHT"));

    CliRunner.Result cancel =
        kafkaCli("cancel", id, "--reason", "wrong photo", "--requested-by", "ops");
    assertThat(cancel.exitCode()).as(cancel.toString()).isZero();
    assertThat(cancel.out()).contains("cancel requested: " + id);

    CliRunner.Result followed =
        CliRunner.run("job", id, "--follow", "--timeout", "60s", "--processor", processorUrl());
    assertThat(followed.exitCode()).as(followed.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(followed.out())
        .contains("FAILED")
        .contains("CANCELLED")
        .contains("wrong photo")
        .contains("not waited for");
  }

  @Test
  void shouldSayWhenAJobIsUnknown() {
    CliRunner.Result unknown = CliRunner.run("job", "no-such-job", "--processor", processorUrl());
    assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(unknown.out()).contains("UNKNOWN").contains("no such job");
  }

  @Test
  void shouldNameTheOptionWhenTheProcessorDoesNotAnswer() {
    CliRunner.Result down =
        CliRunner.run("job", "any", "--processor", "http://127.0.0.1:9", "--timeout", "2s");
    assertThat(down.exitCode()).as(down.toString()).isEqualTo(ExitCodes.INFRA);
    assertThat(down.err()).contains("cannot reach the processor").contains("--processor");

    CliRunner.Result both = CliRunner.run("job", "any", "--sku", "X");
    assertThat(both.exitCode()).isEqualTo(ExitCodes.USAGE);
  }
}
