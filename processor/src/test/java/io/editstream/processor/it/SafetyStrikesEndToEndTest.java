package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
import io.editstream.schema.TenantHold;
import io.editstream.serde.AvroSerdes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Safety strikes over two instances (real broker, registry, emulator over HTTP), one partition
 * each: blocked jobs of tenant {@code bad} on both partitions add up to the threshold, both
 * instances hold the tenant, its jobs on both make no call while tenant {@code good}'s run, and
 * after a release on the holds topic each gets exactly one outcome.
 */
class SafetyStrikesEndToEndTest {
  private static final int PARTITIONS = 2;

  @Test
  void shouldCountStrikesOfBothInstancesAndHoldTheTenantOnBoth(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    List<EditstreamProcessor> running = new ArrayList<>();
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5).withSeed(23));
        Pipeline pipeline = new Pipeline(PARTITIONS)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("safety.strikes.threshold", "4");
      try {
        for (String name : List.of("a", "b")) {
          Map<String, String> own = new HashMap<>(settings);
          own.put("state.dir", work.resolve("state-" + name).toString());
          own.put("blob.dir", work.resolve("blobs-" + name).toString());
          running.add(EditstreamProcessor.start(ProcessorConfig.from(Settings.of(own))));
        }
        assertThat(
                pipeline.readUntil(
                    () -> running.stream().allMatch(p -> p.gate().ownedPartitions() == 1),
                    Duration.ofSeconds(90)))
            .as("one partition each")
            .isTrue();

        // Two blocked jobs in each partition (jobs are keyed by SKU): four strikes, two per
        // instance, meet in the one counting task of tenant bad.
        List<String> blocked = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          for (String id : idsIn(p, "blocked-" + p + "-", 2)) {
            // Distinct instructions: identical edits would share one call (the dedup cache).
            EditJob j =
                job(id, "print " + id + " on a box [emulator:block=PROHIBITED_CONTENT]", rocket);
            j.setTenant("bad");
            j.setSku(id);
            pipeline.send(j);
            pipeline.flush();
            blocked.add(id);
            if (blocked.size() == 1) {
              firstOfItsTopic(pipeline, id);
            }
          }
        }
        assertThat(
                pipeline.readUntil(
                    () ->
                        blocked.stream().allMatch(pipeline::answered)
                            && running.stream().allMatch(p -> p.holds().isHeld("bad")),
                    Duration.ofSeconds(60)))
            .as("blocked: %s, held: %s", pipeline.failures.keySet(), running.get(0).holds().held())
            .isTrue();
        assertThat(running)
            .as("each instance answered two of them")
            .allSatisfy(
                p ->
                    assertThat(p.meters().scrape())
                        .contains(
                            "editstream_jobs_safety_blocked_total{code=\"PROMPT_BLOCKED\",tenant=\"bad\"} 2.0"));
        assertThat(emulator.stats().requests()).isEqualTo(4);

        List<String> held = new ArrayList<>();
        List<String> flowing = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          for (String id : idsIn(p, "held-" + p + "-", 1)) {
            EditJob j = job(id, "remove the background " + id, rocket);
            j.setTenant("bad");
            j.setSku(id);
            pipeline.send(j);
            held.add(id);
          }
          for (String id : idsIn(p, "good-" + p + "-", 1)) {
            EditJob j = job(id, "remove the background " + id, rocket);
            j.setTenant("good");
            j.setSku(id);
            pipeline.send(j);
            pipeline.flush();
            flowing.add(id);
            if (flowing.size() == 1) {
              firstOfItsTopic(pipeline, id);
            }
          }
        }
        pipeline.flush();
        assertThat(
                pipeline.readUntil(
                    () -> flowing.stream().allMatch(pipeline.results::containsKey),
                    Duration.ofSeconds(60)))
            .isTrue();
        assertThat(held).noneMatch(pipeline::answered);
        assertThat(emulator.stats().requests()).as("good's calls only").isEqualTo(4 + 2);

        release(pipeline, "bad");
        assertThat(
                pipeline.readUntil(
                    () -> held.stream().allMatch(pipeline.results::containsKey),
                    Duration.ofSeconds(60)))
            .isTrue();
        pipeline.readToCommittedEnd(Duration.ofSeconds(30));
        assertThat(emulator.stats().requests()).isEqualTo(4 + 2 + 2);
        assertThat(pipeline.outcomes()).isEqualTo(4 + 2 + 2);
        assertThat(pipeline.duplicateOutcomes).isZero();
        assertThat(running).allSatisfy(p -> assertThat(p.holds().isHeld("bad")).isFalse());
      } finally {
        running.forEach(EditstreamProcessor::close);
      }
    }
  }

  /**
   * Waits for the outcome of the first job whose outcome goes to a topic not written yet: two
   * instances registering the topic's schema at the same moment can make the registry answer 409 to
   * one of them (its stream thread is then replaced and its calls made again).
   */
  private static void firstOfItsTopic(Pipeline pipeline, String jobId) {
    assertThat(pipeline.readUntil(() -> pipeline.answered(jobId), Duration.ofSeconds(60)))
        .as(jobId)
        .isTrue();
  }

  /**
   * {@code n} keys with {@code prefix} that the default partitioner puts in partition {@code p}.
   */
  private static List<String> idsIn(int p, String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; out.size() < n; i++) {
      String key = prefix + i;
      if (Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS == p) {
        out.add(key);
      }
    }
    return out;
  }

  /** What editstream tenant release writes. */
  private static void release(Pipeline pipeline, String tenant) throws Exception {
    Map<String, Object> config = new HashMap<>(pipeline.broker.clientConfig());
    try (KafkaProducer<String, TenantHold> producer =
        new KafkaProducer<>(
            config,
            new StringSerializer(),
            AvroSerdes.valueSerde(TenantHold.class, new HashMap<>(pipeline.registry.clientConfig()))
                .serializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  pipeline.prefix + "edit-tenant-holds",
                  tenant,
                  TenantHold.newBuilder()
                      .setTenant(tenant)
                      .setHeld(false)
                      .setAt(Instant.now())
                      .setBy("test")
                      .build()))
          .get();
    }
  }
}
