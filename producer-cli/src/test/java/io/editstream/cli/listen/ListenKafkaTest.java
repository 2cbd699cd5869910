package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Records;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.serde.AvroSerdes;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** listen reading outcomes this test publishes itself on the real broker and registry. */
@ExtendWith(RealInfra.class)
class ListenKafkaTest {
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};

  @Test
  void shouldSaveImagesFromInlineBytesAndFileUrisAndTimeOutOnAnIncompleteBatch(
      KafkaBroker broker, SchemaRegistry registry, @TempDir Path dir) throws Exception {
    String prefix = TestTopics.unique("listen") + ".";
    broker.createTopic(prefix + "edit-results", 2);
    broker.createTopic(prefix + "edit-failures", 1);
    Path blob = dir.resolve("blob.png");
    Files.write(blob, PNG);
    Map<String, String> b1 = Map.of("editstream.batch", "b1");
    Map<String, Object> serde = new HashMap<>(registry.clientConfig());
    try (KafkaProducer<String, EditResult> results =
            new KafkaProducer<>(
                broker.clientConfig(),
                new StringSerializer(),
                AvroSerdes.valueSerde(EditResult.class, serde).serializer());
        KafkaProducer<String, EditFailure> failures =
            new KafkaProducer<>(
                broker.clientConfig(),
                new StringSerializer(),
                AvroSerdes.valueSerde(EditFailure.class, serde).serializer())) {
      results.send(
          new ProducerRecord<>(
              prefix + "edit-results",
              "j1",
              Records.result("j1", "S/1", b1, PNG, blob.toUri().toString(), true)));
      results.send(
          new ProducerRecord<>(
              prefix + "edit-results",
              "j2",
              Records.result(
                  "j2",
                  null,
                  Map.of(
                      "editstream.batch",
                      "b1",
                      "editstream.source",
                      "front shot.jpg",
                      "editstream.variant",
                      "de"),
                  PNG,
                  blob.toUri().toString(),
                  false)));
      results.send(
          new ProducerRecord<>(
              prefix + "edit-results",
              "j3",
              Records.result(
                  "j3", "S3", b1, PNG, dir.resolve("gone.png").toUri().toString(), false)));
      results.send(
          new ProducerRecord<>(
              prefix + "edit-results",
              "x",
              Records.result(
                  "x",
                  "X",
                  Map.of("editstream.batch", "other"),
                  PNG,
                  blob.toUri().toString(),
                  true)));
      failures.send(
          new ProducerRecord<>(
              prefix + "edit-failures",
              "j4",
              Records.failure("j4", "S4", FailureCode.QUOTA_EXHAUSTED, true, 5, b1)));
    }
    Path out = dir.resolve("out");

    CliRunner.Result r =
        listen(
            broker,
            registry,
            prefix,
            "--batch-id",
            "b1",
            "--expect",
            "5",
            "--timeout",
            "3s",
            "--out",
            out.toString(),
            "--report",
            out.resolve("r.html").toString());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(r.out())
        .contains("Batch b1: 4 of 5 jobs done (timed out")
        .contains("ok          3")
        .contains("failed      1  (QUOTA_EXHAUSTED 1)")
        .contains("not saved   j3")
        .contains("j4  sku=S4  QUOTA_EXHAUSTED (retryable, 5 attempts)")
        .contains("editstream replay --batch-id b1");
    assertThat(Files.readAllBytes(out.resolve("S_1/j1.png"))).isEqualTo(PNG);
    // Named by the source photo and variant submit put in the attributes.
    assertThat(Files.readAllBytes(out.resolve("no-sku/front_shot-de-j2.png"))).isEqualTo(PNG);
    assertThat(out.resolve("X")).doesNotExist();
    assertThat(Files.readString(out.resolve("r.html")))
        .contains("S_1/j1.png")
        .contains("no-sku/front_shot-de-j2.png")
        .contains("QUOTA_EXHAUSTED")
        .contains(
            "Next step:</b> Retryable: editstream replay --code QUOTA_EXHAUSTED --batch-id b1")
        .contains("<span class=\"none\">no image</span>")
        .doesNotContain("unknown")
        // 300 prompt and 747 output tokens at the default prices, per job.
        .contains("$0.0450")
        .contains("gemini-3.1-flash-image-preview")
        .contains("data:image/jpeg;base64,");
  }

  @Test
  void shouldReadAnImageItCouldNotSaveAgainOnTheNextRunWithTheSameGroup(
      KafkaBroker broker, SchemaRegistry registry, @TempDir Path dir) throws Exception {
    String prefix = publishBatchG1(broker, registry, "listen-group", "A", "B", "C");
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    // A file where SKU B's folder goes: its image cannot be saved (as on a full disk).
    Path blocker = Files.writeString(out.resolve("B"), "not a folder");
    String group = TestTopics.unique("listen-group");

    CliRunner.Result first = listenGroup(broker, registry, prefix, group, out, 3);
    assertThat(first.exitCode()).as(first.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(first.out()).contains("not saved   g1-b");
    assertThat(Files.readAllBytes(out.resolve("A/g1-a.png"))).isEqualTo(PNG);
    assertThat(Files.readAllBytes(out.resolve("C/g1-c.png"))).isEqualTo(PNG);

    // The group's position stopped at g1-b: the next run reads it (and g1-c after it) again.
    Files.delete(blocker);
    CliRunner.Result second = listenGroup(broker, registry, prefix, group, out, 2);
    assertThat(second.exitCode()).as(second.toString()).isEqualTo(ExitCodes.OK);
    assertThat(Files.readAllBytes(out.resolve("B/g1-b.png"))).isEqualTo(PNG);
    assertThat(Files.readAllBytes(out.resolve("C/g1-c.png"))).isEqualTo(PNG);

    // Everything is saved and committed now: a third run finds nothing to read.
    CliRunner.Result third = listenGroup(broker, registry, prefix, group, out, 1);
    assertThat(third.exitCode()).as(third.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(third.out()).contains("Batch g1: 0 of 1 jobs done (timed out");
  }

  @Test
  void shouldCommitNothingWhileTheWrittenImagesCannotBeFlushedToDisk(
      KafkaBroker broker, SchemaRegistry registry, @TempDir Path dir) throws Exception {
    String prefix = publishBatchG1(broker, registry, "listen-flush", "A", "B");
    Path out = dir.resolve("out");
    String group = TestTopics.unique("listen-flush");
    String[] args = listenGroupArgs(broker, registry, prefix, group, out, 2);

    // The disk refuses to flush a directory (an I/O error): nothing may be committed.
    CliRunner.Result first =
        runWithDirectorySync(
            directory -> {
              throw new IOException("Input/output error");
            },
            args);
    assertThat(first.exitCode()).as(first.toString()).isEqualTo(ExitCodes.FAILED);
    assertThat(first.out()).contains("not flushed images written since the last commit");

    // So the next run with the group reads both outcomes again and writes their images.
    CliRunner.Result second = CliRunner.run(args);
    assertThat(second.exitCode()).as(second.toString()).isEqualTo(ExitCodes.OK);
    assertThat(second.out()).contains("Batch g1: 2 of 2 jobs done");
    assertThat(Files.readAllBytes(out.resolve("A/g1-a.png"))).isEqualTo(PNG);
    assertThat(Files.readAllBytes(out.resolve("B/g1-b.png"))).isEqualTo(PNG);
  }

  @Test
  void shouldCommitAndWarnOnceWhereTheFileSystemDoesNotFlushDirectories(
      KafkaBroker broker, SchemaRegistry registry, @TempDir Path dir) throws Exception {
    String prefix = publishBatchG1(broker, registry, "listen-noflush", "A", "B");
    Path out = dir.resolve("out");
    String group = TestTopics.unique("listen-noflush");

    // A mount whose directories cannot be flushed at all (EINVAL, as on some network and FUSE
    // file systems): passed over, as on Windows, and said once.
    CliRunner.Result run =
        runWithDirectorySync(
            directory -> {
              throw new ImageFiles.FlushUnsupported(directory, new IOException("Invalid argument"));
            },
            listenGroupArgs(broker, registry, prefix, group, out, 2));

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(ExitCodes.OK);
    assertThat(run.out()).contains("Batch g1: 2 of 2 jobs done");
    assertThat(Files.readAllBytes(out.resolve("A/g1-a.png"))).isEqualTo(PNG);
    assertThat(Files.readAllBytes(out.resolve("B/g1-b.png"))).isEqualTo(PNG);
    assertThat(run.err())
        .containsOnlyOnce("does not flush directories (Invalid argument): a power loss may lose");
  }

  /** Runs {@code args} with listen's directory flush replaced by {@code sync}. */
  private static CliRunner.Result runWithDirectorySync(
      ImageFiles.DirectorySync sync, String... args) {
    return CliRunner.run(
        Map.of(),
        commandLine ->
            ((ListenCommand) commandLine.getSubcommands().get("listen").getCommand())
                    .directorySync =
                sync,
        args);
  }

  /**
   * Fresh results and failures topics (one partition each) under a unique prefix from {@code name},
   * with one result of batch g1 per SKU on them (job id {@code g1-<sku>}, its image inline).
   *
   * @return the topic prefix
   */
  private static String publishBatchG1(
      KafkaBroker broker, SchemaRegistry registry, String name, String... skus) {
    String prefix = TestTopics.unique(name) + ".";
    broker.createTopic(prefix + "edit-results", 1);
    broker.createTopic(prefix + "edit-failures", 1);
    Map<String, String> g1 = Map.of("editstream.batch", "g1");
    try (KafkaProducer<String, EditResult> results =
        new KafkaProducer<>(
            broker.clientConfig(),
            new StringSerializer(),
            AvroSerdes.valueSerde(EditResult.class, new HashMap<>(registry.clientConfig()))
                .serializer())) {
      for (String sku : skus) {
        String id = "g1-" + sku.toLowerCase(java.util.Locale.ROOT);
        results.send(
            new ProducerRecord<>(
                prefix + "edit-results",
                id,
                Records.result(id, sku, g1, PNG, "file:///elsewhere/" + id + ".png", true)));
      }
    }
    return prefix;
  }

  private static CliRunner.Result listenGroup(
      KafkaBroker broker,
      SchemaRegistry registry,
      String prefix,
      String group,
      Path out,
      int expect) {
    return CliRunner.run(listenGroupArgs(broker, registry, prefix, group, out, expect));
  }

  /** {@code listen} with {@code group}, following batch g1 until {@code expect} jobs are done. */
  private static String[] listenGroupArgs(
      KafkaBroker broker,
      SchemaRegistry registry,
      String prefix,
      String group,
      Path out,
      int expect) {
    return CliRunner.args(
        broker,
        registry,
        prefix,
        "listen",
        "--group",
        group,
        "--batch-id",
        "g1",
        "--expect",
        String.valueOf(expect),
        "--timeout",
        "4s",
        "--out",
        out.toString());
  }

  /** {@code editstream listen} on this broker, registry and topic prefix, with {@code options}. */
  private static CliRunner.Result listen(
      KafkaBroker broker, SchemaRegistry registry, String prefix, String... options) {
    return CliRunner.run(broker, registry, prefix, "listen", options);
  }
}
