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
import io.editstream.schema.EditJob;
import io.editstream.serde.AvroSerdes;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against the real broker, the real registry and a running processor calling the model
 * emulator over HTTP: submit → listen gets every image; a bad manifest is rejected whole; replay
 * turns injected 503 failures into results and never replays twice; status reads lag and metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliEndToEndTest {
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final String prefix = TestTopics.unique("cli") + ".";
  private Emulator emulator;
  private EditstreamProcessor processor;
  private Path work;
  private Path inputs;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    work = dir;
    inputs = Files.createDirectories(dir.resolve("inputs"));
    for (String t : List.of("edit-jobs", "edit-results", "edit-failures", "edit-jobs-dlq")) {
      broker.createTopic(prefix + t, 2);
    }
    emulator =
        Emulator.start(
            EmulatorConfig.defaults()
                .withApiKey("cli-key-0123456789")
                .withLatencyMeanMs(5)
                .withSeed(11));
    Map<String, String> s =
        ProcessorSettings.of(broker, registry, emulator, "cli-key-0123456789", prefix, dir);
    s.put("input.file.root", inputs.toString());
    s.put("retry.max.attempts", "2");
    s.put("retry.backoff.initial.ms", "20");
    s.put("retry.backoff.max.ms", "100");
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

  /** {@code submit} of {@code manifest} for tenant acme, images over 150k by reference. */
  private CliRunner.Result submitCatalogue(Path manifest, Path blobDir, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--manifest",
                manifest.toString(),
                "--tenant",
                "acme",
                "--inline-max-bytes",
                "150k",
                "--blob-dir",
                blobDir.toString()));
    args.addAll(List.of(more));
    return cli("submit", args.toArray(String[]::new));
  }

  @Test
  void shouldDeliverEveryImageOfASubmittedBatchToListen() throws Exception {
    TestImages.copy(TestImages.JPEG, work, "m/rocket.jpg");
    TestImages.copy(TestImages.PNG, work, "m/cat.png");
    Path manifest = work.resolve("m/catalogue.csv");
    Files.writeString(
        manifest,
        "sku,images,instruction,size,locale\n"
            + "ROCKET-1,rocket.jpg,\"Add a launch banner in {{locale}}, keep the sky\",512,en|de|fr\n"
            + "CAT-1,cat.png,remove the background,512,\n");
    Path batchFile = work.resolve("batch.json");
    Path out = work.resolve("results");

    // A claim-check folder that cannot be made: nothing is sent, and the message says how far the
    // images got and that running the command again is safe.
    Path notAFolder = Files.writeString(work.resolve("not-a-folder"), "a file");
    CliRunner.Result refused = submitCatalogue(manifest, notAFolder);
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.INFRA);
    assertThat(refused.err())
        .contains("cannot store")
        .contains("after 0 of 1 images")
        .contains("Run the same command again");

    CliRunner.Result submit =
        submitCatalogue(manifest, inputs, "--batch-file", batchFile.toString());
    assertThat(submit.exitCode()).as(submit.toString()).isZero();
    assertThat(submit.out()).contains("Submitted 4 jobs").contains("1 image(s) by reference");
    BatchFile batch = BatchFile.read(batchFile);
    assertThat(batch.jobs()).hasSize(4);

    CliRunner.Result listen =
        cli(
            "listen",
            "--batch-file",
            batchFile.toString(),
            "--out",
            out.toString(),
            "--report",
            out.resolve("report.html").toString(),
            "--timeout",
            "90s");

    assertThat(listen.exitCode()).as(listen.toString()).isZero();
    assertThat(listen.out())
        .contains("4 of 4 jobs done")
        .contains("failed      0")
        .contains("images      4 written");
    // Named by source photo, locale and the job id's first 8 digits: findable and distinct.
    List<String> names = new ArrayList<>();
    for (BatchFile.Entry job : batch.jobs()) {
      String id = job.jobId().substring(0, 8);
      String expected =
          job.sku().equals("CAT-1")
              ? "cat-" + id + ".png"
              : "rocket-" + job.where().replaceAll(".*locale=(\\w+).*", "$1") + "-" + id + ".png";
      Path image = out.resolve(job.sku()).resolve(expected);
      assertThat(image).exists();
      BufferedImage decoded = ImageIO.read(image.toFile());
      assertThat(decoded.getWidth()).isEqualTo(512);
      names.add(out.relativize(image).toString().replace('\\', '/'));
    }
    assertThat(names)
        .doesNotHaveDuplicates()
        .anyMatch(n -> n.startsWith("ROCKET-1/rocket-en-"))
        .anyMatch(n -> n.startsWith("ROCKET-1/rocket-de-"))
        .anyMatch(n -> n.startsWith("ROCKET-1/rocket-fr-"));
    String report = Files.readString(out.resolve("report.html"));
    assertThat(report)
        .contains("ROCKET-1")
        .contains("CAT-1")
        .contains("Add a launch banner in de, keep the sky")
        .contains(names.get(0));

    // The same manifest again: the same job ids, so the processor drops them as duplicates.
    Path again = work.resolve("batch-again.json");
    CliRunner.Result resubmit = submitCatalogue(manifest, inputs, "--batch-file", again.toString());
    assertThat(resubmit.exitCode()).isZero();
    assertThat(BatchFile.read(again).jobs())
        .extracting(BatchFile.Entry::jobId)
        .containsExactlyElementsOf(batch.jobs().stream().map(BatchFile.Entry::jobId).toList());
  }

  @Test
  void shouldReportResubmittedJobsAndListenWithTheirEarlierOutcomes() throws Exception {
    TestImages.copy(TestImages.JPEG, work, "again/rocket.jpg");
    TestImages.copy(TestImages.WEBP, work, "again/coffee.webp");
    Path manifest = work.resolve("again/jobs.csv");
    Files.writeString(
        manifest,
        "sku,images,instruction,size\n"
            + "A1,rocket.jpg,add a soft shadow,512\n"
            + "A2,coffee.webp,edit [emulator:fail=503],512\n"
            + "A3,coffee.webp,add a slow shadow [emulator:slow=16000],512\n");
    Path first = work.resolve("again/b1.json");
    CliRunner.Result submit = submitAgain(manifest, first, "b-again-1");
    assertThat(submit.exitCode()).as(submit.toString()).isZero();
    assertThat(submit.out()).contains("Submitted 3 jobs").doesNotContain("submitted before");

    // At once again: A3 takes the model 16 s, so it is on the jobs topic without an outcome.
    CliRunner.Result early =
        submitAgain(manifest, work.resolve("again/b-early.json"), "b-again-early");
    assertThat(early.exitCode()).as(early.toString()).isZero();
    assertThat(early.out())
        .contains("Submitted 0 jobs")
        .contains("3 of 3 jobs were submitted before (")
        .containsPattern("A3 +in progress")
        .contains("To run them again as new jobs: --id-salt");

    CliRunner.Result listen = cli("listen", "--batch-file", first.toString(), "--timeout", "120s");
    assertThat(listen.out()).as(listen.toString()).contains("3 of 3 jobs done");

    Path second = work.resolve("again/b2.json");
    CliRunner.Result resubmit = submitAgain(manifest, second, "b-again-2");
    assertThat(resubmit.exitCode()).as(resubmit.toString()).isZero();
    assertThat(resubmit.out())
        .contains("Submitted 0 jobs")
        .contains("3 of 3 jobs were submitted before (2 done, 1 failed)")
        .contains("the processor will not run them again, so they were not sent")
        .containsPattern("A1 +done")
        .containsPattern("A2 +failed")
        .contains("--id-salt");
    List<String> ids = BatchFile.read(second).jobs().stream().map(BatchFile.Entry::jobId).toList();
    assertThat(ids)
        .containsExactlyElementsOf(
            BatchFile.read(first).jobs().stream().map(BatchFile.Entry::jobId).toList());
    assertThat(readJobs(prefix + "edit-jobs").stream().filter(j -> ids.contains(j.getJobId())))
        .as("each job sent once, by the first submit")
        .hasSize(3);

    // The second batch's jobs all have outcomes from the first: listen ends at once with them.
    CliRunner.Result again = cli("listen", "--batch-file", second.toString(), "--timeout", "120s");
    assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(again.out())
        .contains("3 of 3 jobs done in")
        .doesNotContain("timed out")
        .contains("earlier     3")
        .contains("ok          2")
        .contains("failed      1  (MODEL_UNAVAILABLE 1)");

    CliRunner.Result salted =
        cli(
            "submit",
            "--manifest",
            manifest.toString(),
            "--tenant",
            "acme",
            "--id-salt",
            "second-run",
            "--batch-id",
            "b-again-salted");
    assertThat(salted.out()).contains("Submitted 3 jobs").doesNotContain("submitted before");
  }

  private CliRunner.Result submitAgain(Path manifest, Path batchFile, String batchId) {
    return cli(
        "submit",
        "--manifest",
        manifest.toString(),
        "--tenant",
        "acme",
        "--batch-file",
        batchFile.toString(),
        "--batch-id",
        batchId);
  }

  @Test
  void shouldNameInputFileRootWhenTheClaimCheckFolderIsOutsideIt() throws Exception {
    // A new user's first claim check: a folder the processor is not allowed to read.
    Path image = TestImages.copy(TestImages.PNG, work, "outside/cat.png");
    Path elsewhere = Files.createDirectories(work.resolve("not-the-root"));
    Path batchFile = work.resolve("outside-batch.json");

    CliRunner.Result submit =
        cli(
            "submit",
            "--tenant",
            "acme",
            "--instruction",
            "remove the background",
            "--inline-max-bytes",
            "1k",
            "--blob-dir",
            elsewhere.toString(),
            // The CLI runner's clock and random source are fixed: a batch id of its own.
            "--batch-id",
            "b-outside-root",
            "--batch-file",
            batchFile.toString(),
            image.toString());
    assertThat(submit.exitCode()).as(submit.toString()).isZero();

    CliRunner.Result listen =
        cli("listen", "--batch-file", batchFile.toString(), "--timeout", "90s");

    assertThat(listen.exitCode()).as(listen.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(listen.out())
        .as(listen.toString())
        .contains("URI_NOT_ALLOWED")
        .contains("input.file.root");
  }

  @Test
  void shouldRejectAManifestWithBadRowsWholeAndSendNothing() throws Exception {
    String emptyPrefix = TestTopics.unique("cli-empty") + ".";
    broker.createTopic(emptyPrefix + "edit-jobs", 1);
    TestImages.copy(TestImages.JPEG, work, "bad/rocket.jpg");
    Files.writeString(work.resolve("bad/readme.png"), "not really a png");
    Path manifest = work.resolve("bad/catalogue.jsonl");
    Files.writeString(
        manifest,
        "{\"sku\":\"ok\",\"images\":[\"rocket.jpg\"],\"instruction\":\"fine\"}\n"
            + "{\"sku\":\"A\",\"images\":[\"missing.jpg\"],\"instruction\":\"edit\"}\n"
            + "{\"sku\":\"B\",\"images\":[\"readme.png\"],\"instruction\":\"edit\",\"size\":\"8K\"}\n"
            + "{\"sku\":\"C\",\"images\":[],\"instruction\":\"edit {{colour}}\"}\n");

    CliRunner.Result r =
        CliRunner.run(
            "submit",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry",
            registry.url(),
            "--topic-prefix",
            emptyPrefix,
            "--manifest",
            manifest.toString(),
            "--tenant",
            "acme");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err())
        .contains("line 2: images: file not found")
        .contains("line 3: images: unsupported image type")
        .contains("line 3: size: \"8K\" is not accepted")
        .contains("line 4: images: no images")
        .contains("line 4: instruction: unknown template variable {{colour}}")
        .doesNotContain("line 1:");
    assertThat(endOffset(emptyPrefix + "edit-jobs")).isZero();
  }

  @Test
  void shouldReplayFailuresFromInjected503sIntoResultsAndNeverTwice() throws Exception {
    TestImages.copy(TestImages.JPEG, work, "replay/rocket.jpg");
    TestImages.copy(TestImages.WEBP, work, "replay/coffee.webp");
    Path manifest = work.resolve("replay/jobs.csv");
    Files.writeString(
        manifest,
        "sku,images,instruction,size\n"
            + "R1,rocket.jpg,add a shadow [emulator:fail-times=2:503],512\n"
            + "R2,coffee.webp,add a shadow [emulator:fail-times=2:503],512\n"
            + "R3,rocket.jpg,edit [emulator:fail=400],512\n");
    CliRunner.Result submit =
        cli(
            "submit",
            "--manifest",
            manifest.toString(),
            "--tenant",
            "acme",
            "--batch-id",
            "b-replay");
    assertThat(submit.exitCode()).as(submit.toString()).isZero();

    CliRunner.Result first =
        cli("listen", "--batch-id", "b-replay", "--expect", "3", "--timeout", "90s");
    assertThat(first.exitCode()).as(first.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(first.out()).contains("MODEL_UNAVAILABLE 2").contains("MODEL_INVALID_ARGUMENT 1");

    String group = prefix + "replay";
    CliRunner.Result dry = cli("replay", "--group", group, "--batch-id", "b-replay", "--dry-run");
    CliRunner.Result replay = cli("replay", "--group", group, "--batch-id", "b-replay");
    CliRunner.Result again = cli("replay", "--group", group, "--batch-id", "b-replay");

    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("Would replay 2 jobs").contains("permanent 1");
    assertThat(replay.exitCode()).as(replay.toString()).isZero();
    assertThat(replay.out()).contains("Replayed 2 jobs").contains("MODEL_UNAVAILABLE 2");
    assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(again.out()).contains("Replayed 0 jobs");
    // Right after the replay: the batch's failures are there, the replays' outcomes are not yet.
    // listen finds the replays on the jobs topic and waits for their outcomes.
    CliRunner.Result second =
        cli(
            "listen",
            "--batch-id",
            "b-replay",
            "--expect",
            "3",
            "--timeout",
            "90s",
            "--out",
            work.resolve("replayed").toString());
    assertThat(second.out())
        .as(second.toString())
        .contains("ok          2")
        .contains("failed      1  (MODEL_INVALID_ARGUMENT 1)");
    try (Stream<Path> files = Files.walk(work.resolve("replayed"))) {
      assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(2);
    }
    List<EditJob> replays =
        readJobs(prefix + "edit-jobs").stream()
            .filter(j -> j.getJobId().contains(".replay-"))
            .toList();
    assertThat(replays).hasSize(2);
    assertThat(replays)
        .allSatisfy(
            j -> {
              assertThat(j.getJobId()).endsWith(".replay-1");
              assertThat(j.getAttributes())
                  .containsEntry("editstream.replay", "true")
                  .containsEntry("editstream.attempts", "2");
            });
  }

  @Test
  void shouldShowLagAndMetricsOfTheRunningProcessor() {
    CliRunner.Result r =
        cli(
            "status",
            "--application-id",
            prefix + "processor",
            "--metrics-url",
            "http://127.0.0.1:" + processor.httpPort() + "/metrics");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("input lag")
        .contains("(group " + prefix + "processor)")
        .contains("in flight");
  }

  private long endOffset(String topic) {
    try (KafkaConsumer<String, byte[]> c = consumer()) {
      TopicPartition p = new TopicPartition(topic, 0);
      return c.endOffsets(List.of(p)).get(p);
    }
  }

  private List<EditJob> readJobs(String topic) {
    return read(topic, EditJob.class);
  }

  private <T extends org.apache.avro.specific.SpecificRecord> List<T> read(
      String topic, Class<T> type) {
    Map<String, Object> serde = new HashMap<>(registry.clientConfig());
    var deserializer = AvroSerdes.valueSerde(type, serde).deserializer();
    List<T> jobs = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = consumer()) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(i -> new TopicPartition(topic, i.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (parts.stream().anyMatch(p -> c.position(p) < ends.get(p))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          jobs.add(deserializer.deserialize(r.topic(), r.headers(), r.value()));
        }
      }
    }
    return jobs;
  }

  private KafkaConsumer<String, byte[]> consumer() {
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(
        c,
        new StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }
}
