package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safety strikes on real parts (broker, registry, the emulator over HTTP) through the CLI: three
 * blocked prompts of tenant {@code bad} hold it; its next jobs make no model call while tenant
 * {@code good}'s jobs flow; {@code editstream tenant list} shows the hold, a restarted processor
 * keeps it, and {@code editstream tenant release} ends it, after which each held job gets exactly
 * one outcome.
 */
class CliTenantHoldEndToEndTest {
  private static final String KEY = "tenant-key-0123456789";
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final String prefix = TestTopics.unique("clihold") + ".";

  @Test
  void shouldHoldATenantAfterThreeSafetyBlocksAndRunItsJobsOnceAfterTheRelease(@TempDir Path dir)
      throws Exception {
    TestImages.copy(TestImages.PNG, dir, "m/cat.png");
    Path blocked =
        manifest(
            dir,
            "blocked.csv",
            "BLOCKED-1,cat.png,print it on a box [emulator:block=PROHIBITED_CONTENT]",
            "BLOCKED-2,cat.png,print it on a mug [emulator:block=PROHIBITED_CONTENT]",
            "BLOCKED-3,cat.png,print it on a cap [emulator:block=PROHIBITED_CONTENT]");
    Path badJobs =
        manifest(
            dir, "bad.csv", "BAD-OK,cat.png,remove the background", "BAD-OK,cat.png,add a shadow");
    Path goodJobs =
        manifest(
            dir,
            "good.csv",
            "GOOD-1,cat.png,remove the background",
            "GOOD-2,cat.png,add a reflection");

    try (Emulator emulator =
        Emulator.start(
            EmulatorConfig.defaults().withApiKey(KEY).withLatencyMeanMs(5).withSeed(19))) {
      Map<String, String> s = ProcessorSettings.of(broker, registry, emulator, KEY, prefix, dir);
      s.put("safety.strikes.threshold", "3");
      s.put("safety.strikes.window", "1h");
      EditstreamProcessor processor =
          EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)));
      try {
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();

        Path blockedBatch = submit(blocked, "bad", dir.resolve("blocked.json"));
        CliRunner.Result listenBlocked =
            kafkaCli("listen", "--batch-file", blockedBatch.toString(), "--timeout", "60s");
        assertThat(listenBlocked.out()).as(listenBlocked.toString()).contains("3 of 3 jobs done");
        Awaitility.await("tenant bad held")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> kafkaCli("tenant", "list").out().contains("HELD      bad"));
        EditstreamProcessor first = processor;
        Awaitility.await("the processor read the hold")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> first.holds().isHeld("bad"));
        CliRunner.Result list = kafkaCli("tenant", "list");
        assertThat(list.exitCode()).as(list.toString()).isZero();
        assertThat(list.out())
            .contains("3 safety blocks within PT1H")
            .contains("1 tenant(s) held")
            .doesNotContain("good");
        assertThat(processor.meters().scrape())
            .contains("editstream_tenant_held{tenant=\"bad\"} 1.0")
            .contains("editstream_tenant_holds_total{tenant=\"bad\"} 1.0");
        assertThat(emulator.stats().requests()).as("the three blocked calls").isEqualTo(3);

        Path badBatch = submit(badJobs, "bad", dir.resolve("bad.json"));
        Path goodBatch = submit(goodJobs, "good", dir.resolve("good.json"));
        CliRunner.Result good =
            kafkaCli("listen", "--batch-file", goodBatch.toString(), "--timeout", "60s");
        assertThat(good.out()).as(good.toString()).contains("2 of 2 jobs done");
        assertThat(good.exitCode()).as(good.toString()).isZero();
        awaitHeldJobs(processor, 2);
        assertThat(emulator.stats().requests())
            .as("good's two calls, none of bad's")
            .isEqualTo(3 + 2);

        // A restart keeps the hold (the holds topic) and the held jobs (the pending store).
        processor.close();
        processor = null;
        processor = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)));
        assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();
        assertThat(processor.holds().isHeld("bad")).as("read before the tasks run").isTrue();
        awaitHeldJobs(processor, 2);
        assertThat(emulator.stats().requests()).isEqualTo(3 + 2);

        CliRunner.Result release =
            kafkaCli("tenant", "release", "bad", "--reason", "reviewed", "--released-by", "ops");
        assertThat(release.exitCode()).as(release.toString()).isZero();
        assertThat(release.out()).contains("released: bad");
        CliRunner.Result bad =
            kafkaCli("listen", "--batch-file", badBatch.toString(), "--timeout", "60s");
        assertThat(bad.out()).as(bad.toString()).contains("2 of 2 jobs done");
        assertThat(bad.exitCode()).as(bad.toString()).isZero();
        assertThat(emulator.stats().requests()).isEqualTo(3 + 2 + 2);
        assertThat(processor.meters().scrape())
            .contains("editstream_tenant_held{tenant=\"bad\"} 0.0");

        CliRunner.Result again = kafkaCli("tenant", "release", "bad");
        assertThat(again.exitCode()).as("not held any more").isEqualTo(1);
        assertThat(again.out()).contains("tenant bad is not held (released at ");
        assertThat(kafkaCli("tenant", "list", "--all").out())
            .contains("No tenant is held")
            .contains("RELEASED  bad")
            .contains("by ops  (reviewed)");

        Map<String, Integer> outcomes = outcomesByJobId();
        List<String> ids = new ArrayList<>();
        for (Path batch : List.of(blockedBatch, badBatch, goodBatch)) {
          BatchFile.read(batch).jobs().forEach(j -> ids.add(j.jobId()));
        }
        assertThat(outcomes).containsOnlyKeys(ids);
        assertThat(outcomes.values()).as("one outcome per job").containsOnly(1);
      } finally {
        if (processor != null) {
          processor.close();
        }
      }
    }
  }

  /** Waits until {@code processor} lists tenant bad's {@code n} jobs of SKU BAD-OK as HELD. */
  private static void awaitHeldJobs(EditstreamProcessor processor, int n) {
    String url = "http://127.0.0.1:" + processor.httpPort();
    Awaitility.await("bad's jobs listed as held")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                CliRunner.run("job", "--sku", "BAD-OK", "--tenant", "bad", "--processor", url)
                        .out()
                        .lines()
                        .filter(l -> l.contains(" HELD"))
                        .count()
                    == n);
  }

  private Path manifest(Path dir, String name, String... rows) throws Exception {
    Path file = dir.resolve("m").resolve(name);
    Files.writeString(
        file, "sku,images,instruction,size\n" + String.join(",512\n", rows) + ",512\n");
    return file;
  }

  /** Submits the manifest as batch {@code b-<file name>}: listen counts the batch's jobs. */
  private Path submit(Path manifest, String tenant, Path batchFile) {
    CliRunner.Result submit =
        kafkaCli(
            "submit",
            "--manifest",
            manifest.toString(),
            "--tenant",
            tenant,
            "--batch-id",
            "b-" + batchFile.getFileName().toString().replace(".json", ""),
            "--batch-file",
            batchFile.toString());
    assertThat(submit.exitCode()).as(submit.toString()).isZero();
    return batchFile;
  }

  private CliRunner.Result kafkaCli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(CliRunner.connection(broker, registry, prefix));
    return CliRunner.run(all.toArray(String[]::new));
  }

  /** Records on the results and failures topics up to their committed end, by jobId. */
  private Map<String, Integer> outcomesByJobId() {
    Map<String, Object> c = new HashMap<>(broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, Integer> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(prefix + "edit-results", prefix + "edit-failures")) {
        for (int p = 0; p < 2; p++) {
          parts.add(new TopicPartition(t, p));
        }
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < ends.get(p))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.merge(r.key(), 1, Integer::sum);
        }
      }
    }
    return out;
  }
}
