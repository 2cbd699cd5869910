package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.InputImage;
import io.micrometer.core.instrument.Counter;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup cache (DESIGN.md §5, issue 6) end to end on the real broker, the real registry and the
 * emulator over HTTP: the emulator's own request count proves how many model calls were made. Every
 * test uses its own instructions, so tests share one processor and measure call deltas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DedupEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  private Emulator emulator;
  private Pipeline pipeline;
  private Map<String, String> settings;
  private EditstreamProcessor processor;
  private Path inputs;
  private byte[] rocket;

  @BeforeAll
  void start(@TempDir Path work) throws Exception {
    // Long enough that identical jobs arrive while the first call is still in flight.
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(800).withSeed(6));
    pipeline = new Pipeline();
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    inputs = Files.createDirectories(work.resolve("inputs"));
    settings = new HashMap<>(pipeline.settings(emulator.baseUrl(), work));
    settings.put("input.file.root", inputs.toString());
    settings.put("http.port", "-1");
    processor = startProcessor();
  }

  private EditstreamProcessor startProcessor() throws IOException, InterruptedException {
    EditstreamProcessor p = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
    assertThat(p.awaitRunning(Duration.ofSeconds(60))).as("processor running").isTrue();
    return p;
  }

  @AfterAll
  void stop() {
    if (processor != null) {
      processor.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void shouldMakeOneModelCallForAHundredIdenticalJobsSubmittedAtOnce() {
    long callsBefore = emulator.stats().requests();
    double coalescedBefore = coalesced();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      EditJob j = job("same-" + i, "remove the background, same-100", rocket);
      ids.add(j.getJobId());
      pipeline.send(j);
    }
    pipeline.flush();

    awaitResults(ids);

    assertThat(emulator.stats().requests() - callsBefore).as("model calls").isEqualTo(1);
    List<EditResult> results = results(ids);
    assertThat(results).hasSize(100);
    assertThat(results.stream().filter(EditResult::getCacheHit)).hasSize(99);
    assertThat(results.stream().map(EditResult::getContentKey).distinct()).hasSize(1);
    assertThat(results.stream().map(r -> r.getImages().get(0).getSha256()).distinct()).hasSize(1);
    assertThat(results)
        .filteredOn(EditResult::getCacheHit)
        .allSatisfy(
            r -> {
              assertThat(r.getUsage().getTotalTokens()).isZero();
              assertThat(r.getEstimatedCostUsd()).isZero();
            });
    assertThat(results)
        .extracting(EditResult::getLane)
        .as("hits and the call")
        .containsOnly("online");
    // Some of them shared the call in flight rather than finding a finished entry.
    assertThat(coalesced() - coalescedBefore).as("coalesced requests").isPositive();
    assertThat(pipeline.duplicateOutcomes).isZero();
  }

  @Test
  void shouldAnswerARepeatedJobFromTheL2TopicAfterARestart() throws Exception {
    EditJob first = job("restart-a", "add a drop shadow, restart", rocket);
    pipeline.send(first);
    pipeline.flush();
    awaitResults(List.of("restart-a"));
    assertThat(pipeline.results.get("restart-a").getCacheHit()).isFalse();

    // Same application id and settings, but a new JVM-level cache: only L2 can know the entry.
    processor.close();
    processor = startProcessor();
    long callsBefore = emulator.stats().requests();

    pipeline.send(job("restart-b", "add a drop shadow, restart", rocket));
    pipeline.flush();
    awaitResults(List.of("restart-b"));

    EditResult again = pipeline.results.get("restart-b");
    assertThat(again.getCacheHit()).isTrue();
    assertThat(emulator.stats().requests() - callsBefore).as("model calls after restart").isZero();
    assertThat(again.getContentKey()).isEqualTo(pipeline.results.get("restart-a").getContentKey());
    assertThat(again.getImages().get(0).getSha256())
        .isEqualTo(pipeline.results.get("restart-a").getImages().get(0).getSha256());
    assertThat(Files.exists(Path.of(java.net.URI.create(again.getImages().get(0).getUri()))))
        .as("the referenced blob exists")
        .isTrue();
  }

  @Test
  void shouldCallOncePerTenantForTheSamePair() {
    long callsBefore = emulator.stats().requests();
    EditJob acme = job("tenant-acme", "make it blue, tenants", rocket);
    EditJob globex = job("tenant-globex", "make it blue, tenants", rocket);
    globex.setTenant("globex");
    pipeline.send(acme);
    pipeline.send(globex);
    pipeline.flush();
    awaitResults(List.of("tenant-acme", "tenant-globex"));

    assertThat(emulator.stats().requests() - callsBefore).as("model calls").isEqualTo(2);
    EditResult a = pipeline.results.get("tenant-acme");
    EditResult g = pipeline.results.get("tenant-globex");
    assertThat(a.getCacheHit()).isFalse();
    assertThat(g.getCacheHit()).isFalse();
    assertThat(a.getContentKey()).isNotEqualTo(g.getContentKey());
  }

  @Test
  void shouldCallAgainAndRefreshTheEntryWhenAJobBypassesTheCache() {
    EditJob original = job("bypass-1", "sharpen, bypass", rocket);
    pipeline.send(original);
    pipeline.flush();
    awaitResults(List.of("bypass-1"));
    String key = pipeline.results.get("bypass-1").getContentKey();
    // The L2 publish is acknowledged independently of the result: wait for it.
    await().atMost(WAIT).untilAsserted(() -> assertThat(indexRecords(key)).isEqualTo(1));

    long callsBefore = emulator.stats().requests();
    EditJob bypass = job("bypass-2", "sharpen, bypass", rocket);
    bypass.setBypassCache(true);
    pipeline.send(bypass);
    pipeline.flush();
    awaitResults(List.of("bypass-2"));

    EditResult fresh = pipeline.results.get("bypass-2");
    assertThat(emulator.stats().requests() - callsBefore).as("model calls").isEqualTo(1);
    assertThat(fresh.getCacheHit()).isFalse();
    assertThat(fresh.getContentKey()).isEqualTo(key);
    assertThat(fresh.getUsage().getTotalTokens()).isPositive();
    // The refreshed entry was published to L2 again (so other instances see it too).
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(indexRecords(key)).as("L2 records for the key").isEqualTo(2));

    // A normal job afterwards is a hit again.
    pipeline.send(job("bypass-3", "sharpen, bypass", rocket));
    pipeline.flush();
    awaitResults(List.of("bypass-3"));
    EditResult hit = pipeline.results.get("bypass-3");
    assertThat(hit.getCacheHit()).isTrue();
    // The entry's own L2 publication came back to this instance meanwhile; the hit still carries
    // the small output inline, like the fresh result did.
    assertThat(fresh.getImages().get(0).getData()).isNotNull();
    assertThat(hit.getImages().get(0).getData()).as("inline output on the hit").isNotNull();
    assertThat(emulator.stats().requests() - callsBefore).as("model calls").isEqualTo(1);
  }

  @Test
  void shouldTreatAFileUriAndInlineBytesOfTheSameImageAsOneEdit() throws IOException {
    Path file = Files.write(inputs.resolve("rocket.jpg"), rocket);
    long callsBefore = emulator.stats().requests();
    EditJob inline = job("inline-1", "crop to the product, uri-vs-inline", rocket);
    EditJob byUri = job("uri-1", "crop to the product, uri-vs-inline");
    byUri.setImages(
        List.of(
            InputImage.newBuilder()
                .setMimeType("image/jpeg")
                .setUri(file.toUri().toString())
                .build()));
    pipeline.send(inline);
    pipeline.send(byUri);
    pipeline.flush();
    awaitResults(List.of("inline-1", "uri-1"));

    assertThat(emulator.stats().requests() - callsBefore).as("model calls").isEqualTo(1);
    EditResult a = pipeline.results.get("inline-1");
    EditResult b = pipeline.results.get("uri-1");
    assertThat(a.getContentKey()).isEqualTo(b.getContentKey());
    assertThat(List.of(a.getCacheHit(), b.getCacheHit())).containsExactlyInAnyOrder(true, false);
  }

  @Test
  void shouldCallTheModelExactlyOncePerUniquePairInADuplicateHeavyWorkload() {
    List<byte[]> images = IntStream.range(0, 8).mapToObj(DedupEndToEndTest::png).toList();
    List<String> instructions =
        List.of("remove the background, heavy", "add a shadow, heavy", "make it square, heavy");
    List<EditJob> jobs = new ArrayList<>();
    for (int copy = 0; copy < 10; copy++) {
      for (int i = 0; i < images.size(); i++) {
        for (String instruction : instructions) {
          jobs.add(job("heavy-" + UUID.randomUUID(), instruction, images.get(i)));
        }
      }
    }
    Collections.shuffle(jobs, new Random(7));
    long callsBefore = emulator.stats().requests();
    double coalescedBefore = coalesced();

    jobs.forEach(pipeline::send);
    pipeline.flush();
    List<String> ids = jobs.stream().map(EditJob::getJobId).toList();
    awaitResults(ids);

    int uniquePairs = images.size() * instructions.size();
    assertThat(emulator.stats().requests() - callsBefore)
        .as("model calls for %d jobs", jobs.size())
        .isEqualTo(uniquePairs);
    List<EditResult> results = results(ids);
    Map<String, Integer> calledPerKey = new HashMap<>();
    for (EditResult r : results) {
      calledPerKey.merge(r.getContentKey(), r.getCacheHit() ? 0 : 1, Integer::sum);
    }
    assertThat(calledPerKey).hasSize(uniquePairs);
    assertThat(calledPerKey.values()).as("one fresh result per pair").containsOnly(1);
    assertThat(coalesced() - coalescedBefore).as("concurrent duplicates").isPositive();
    assertThat(pipeline.duplicateOutcomes).isZero();
  }

  private void awaitResults(Collection<String> ids) {
    Set<String> wanted = new HashSet<>(ids);
    boolean all =
        pipeline.readUntil(
            () ->
                wanted.stream()
                    .allMatch(
                        id ->
                            pipeline.results.containsKey(id) || pipeline.failures.containsKey(id)),
            WAIT);
    assertThat(all).as("outcomes for %d jobs", wanted.size()).isTrue();
    assertThat(wanted.stream().filter(pipeline.failures::containsKey))
        .as("failures: %s", pipeline.failures)
        .isEmpty();
  }

  private List<EditResult> results(List<String> ids) {
    return ids.stream().map(pipeline.results::get).toList();
  }

  private double coalesced() {
    Counter c = processor.meters().find("cache.coalesced").counter();
    return c == null ? 0 : c.count();
  }

  /** Records for {@code contentKey} on the compacted L2 topic (compaction has not run yet). */
  private int indexRecords(String contentKey) {
    String topic = pipeline.prefix + "edit-cache-index";
    Map<String, Object> c = new HashMap<>(pipeline.broker.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      int count = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (contentKey.equals(r.key()) && r.value() != null) {
            count++;
          }
        }
      }
      return count;
    }
  }

  /** A small PNG of its own colour: a distinct image per seed. */
  private static byte[] png(int seed) {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    g.setColor(new Color(new Random(seed).nextInt(0xFFFFFF)));
    g.fillRect(0, 0, 64, 48);
    g.setColor(Color.WHITE);
    g.fillRect(seed * 6, 10, 5, 5);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
