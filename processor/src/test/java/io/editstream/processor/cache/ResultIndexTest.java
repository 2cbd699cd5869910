package io.editstream.processor.cache;

import static io.editstream.processor.cache.CacheFixtures.key;
import static io.editstream.processor.cache.CacheFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.TestTopics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The L2 index against a real broker. */
@ExtendWith(RealInfra.class)
class ResultIndexTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  // The fixtures' results were created at CacheFixtures.CREATED; the caches live for a day.
  private static final Clock NOW =
      Clock.fixed(CacheFixtures.CREATED.plus(Duration.ofHours(1)), ZoneOffset.UTC);

  private final KafkaBroker kafka;
  private final List<ResultIndex> indexes = new ArrayList<>();
  private Admin admin;
  private String topic;

  ResultIndexTest(KafkaBroker kafka) {
    this.kafka = kafka;
  }

  @BeforeEach
  void createTopic() {
    admin = Admin.create(kafka.clientConfig());
    topic = TestTopics.unique("result-index");
    assertThat(ResultIndex.createTopicIfMissing(admin, topic, 3, (short) 1)).isTrue();
  }

  @AfterEach
  void closeAll() {
    indexes.forEach(ResultIndex::close);
    admin.close();
  }

  /** A fresh L1 cache and an index over it: one processor instance (re)starting. */
  private ResultIndex startInstance(ResultCache cache) throws InterruptedException {
    ResultIndex index = new ResultIndex(kafka.clientConfig(), topic, cache, NOW);
    indexes.add(index);
    index.start();
    assertThat(index.awaitCaughtUp(TIMEOUT)).isTrue();
    return index;
  }

  private static ResultCache newCache() {
    return ResultCache.builder()
        .executor(Runnable::run)
        .expireAfterWrite(Duration.ofDays(1))
        .build();
  }

  @Test
  void shouldCreateACompactedTopicOnce() throws Exception {
    assertThat(ResultIndex.createTopicIfMissing(admin, topic, 3, (short) 1)).isFalse();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    ConfigEntry policy =
        admin
            .describeConfigs(List.of(resource))
            .all()
            .get(30, TimeUnit.SECONDS)
            .get(resource)
            .get("cleanup.policy");
    assertThat(policy.value()).isEqualTo("compact");
  }

  @Test
  void shouldFindPublishedResultsAfterARestart() throws Exception {
    ResultIndex first = startInstance(newCache());
    for (int i = 0; i < 20; i++) {
      first.publish(key(i), result("r" + i, 100)).get(30, TimeUnit.SECONDS);
    }
    first.close();

    ResultCache restarted = newCache();
    startInstance(restarted);

    // Caught up means everything is there already: no waiting beyond awaitCaughtUp.
    for (int i = 0; i < 20; i++) {
      CachedResult found = restarted.peek(key(i)).orElseThrow();
      assertThat(found).isEqualTo(result("r" + i, 100).withInlineDataAtMost(0));
    }
    assertThat(restarted.peek(key(20))).isEmpty();
  }

  @Test
  void shouldAnswerARepeatedRequestFromTheIndexAfterARestart() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Supplier<CompletableFuture<CachedResult>> model =
        () -> {
          calls.incrementAndGet();
          return CompletableFuture.completedFuture(result("edited"));
        };
    ResultCache before = newCache();
    ResultIndex index = startInstance(before);
    CacheLookup first = before.getOrCompute(key(1), false, model).get(30, TimeUnit.SECONDS);
    assertThat(first.source()).isEqualTo(CacheLookup.Source.CALLED);
    index.publish(key(1), first.result()).get(30, TimeUnit.SECONDS);
    index.close();

    ResultCache after = newCache();
    startInstance(after);
    CacheLookup repeated = after.getOrCompute(key(1), false, model).get(30, TimeUnit.SECONDS);

    assertThat(repeated).isEqualTo(new CacheLookup(result("edited"), CacheLookup.Source.HIT));
    assertThat(calls).hasValue(1);
  }

  @Test
  void shouldNotReviveEntriesOlderThanTheCacheTtl() throws Exception {
    ResultIndex index = startInstance(newCache());
    CachedResult old = result("old");
    CachedResult dayOld =
        new CachedResult(
            old.images(),
            old.text(),
            old.model(),
            old.modelVersion(),
            old.usage(),
            NOW.instant().minus(Duration.ofDays(1)).minusSeconds(1));
    index.publish(key(1), dayOld).get(30, TimeUnit.SECONDS);
    index.publish(key(2), result("fresh")).get(30, TimeUnit.SECONDS);
    index.close();

    ResultCache restarted = newCache();
    startInstance(restarted);

    assertThat(restarted.peek(key(1))).isEmpty();
    assertThat(restarted.peek(key(2))).contains(result("fresh"));
  }

  @Test
  void shouldShareResultsBetweenRunningInstances() throws Exception {
    ResultCache cacheA = newCache();
    ResultCache cacheB = newCache();
    ResultIndex a = startInstance(cacheA);
    startInstance(cacheB);

    a.publish(key(1), result("shared")).get(30, TimeUnit.SECONDS);

    await().atMost(TIMEOUT).until(() -> cacheB.peek(key(1)).isPresent());
    assertThat(cacheB.peek(key(1))).contains(result("shared"));
  }

  @Test
  void shouldForgetATombstonedEntry() throws Exception {
    ResultCache live = newCache();
    ResultIndex index = startInstance(live);
    index.publish(key(1), result("one")).get(30, TimeUnit.SECONDS);
    index.publish(key(2), result("two")).get(30, TimeUnit.SECONDS);
    await().atMost(TIMEOUT).until(() -> live.peek(key(1)).isPresent());

    index.remove(key(1)).get(30, TimeUnit.SECONDS);

    await().atMost(TIMEOUT).until(() -> live.peek(key(1)).isEmpty());
    ResultCache restarted = newCache();
    startInstance(restarted);
    assertThat(restarted.peek(key(1))).isEmpty();
    assertThat(restarted.peek(key(2))).contains(result("two"));
  }

  @Test
  void shouldSkipRecordsItCannotRead() throws Exception {
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(config)) {
      byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
      raw.send(new ProducerRecord<>(topic, key(1).hex(), garbage)).get(30, TimeUnit.SECONDS);
      raw.send(new ProducerRecord<>(topic, "not-a-key", ResultRecordFormat.encode(result("x"))))
          .get(30, TimeUnit.SECONDS);
      raw.send(new ProducerRecord<>(topic, key(2).hex(), ResultRecordFormat.encode(result("ok"))))
          .get(30, TimeUnit.SECONDS);
    }

    ResultCache cache = newCache();
    startInstance(cache);

    assertThat(cache.peek(key(1))).isEmpty();
    assertThat(cache.peek(key(2))).contains(result("ok"));
  }

  @Test
  void shouldReportAMissingTopic() {
    ResultIndex index =
        new ResultIndex(
            kafka.clientConfig(),
            TestTopics.unique("no-such-topic"),
            newCache(),
            NOW,
            Duration.ofSeconds(2));
    indexes.add(index);
    index.start();
    assertThatThrownBy(() -> index.awaitCaughtUp(Duration.ofSeconds(90)))
        .isInstanceOf(IllegalStateException.class)
        .rootCause()
        .hasMessageContaining("does not exist");
  }
}
