package io.editstream.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsValidationTest {

  private static Map<String, String> minimal() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    return m;
  }

  private static ProcessorConfig config(Map<String, String> values) {
    return ProcessorConfig.from(Settings.of(values));
  }

  @Test
  void shouldApplyDocumentedDefaults() {
    ProcessorConfig c = config(minimal());
    assertThat(c.topics().jobs()).isEqualTo("edit-jobs");
    assertThat(c.topics().results()).isEqualTo("edit-results");
    assertThat(c.topics().failures()).isEqualTo("edit-failures");
    assertThat(c.topics().dlq()).isEqualTo("edit-jobs-dlq");
    assertThat(c.model().defaultModel()).isEqualTo("gemini-3.1-flash-image-preview");
    assertThat(c.model().maxInFlight()).isEqualTo(64);
    assertThat(c.pendingMaxPerTask()).isEqualTo(1_000);
    assertThat(c.model().baseUrl()).isNull();
    assertThat(c.kafka()).containsEntry("bootstrap.servers", "localhost:9092");
  }

  @Test
  void shouldBoundTheCacheByAnEighthOfTheHeapWhenCacheMaxBytesIsNotSet() {
    long mib = 1024 * 1024;
    long expected = Math.max(16 * mib, Math.min(256 * mib, Runtime.getRuntime().maxMemory() / 8));

    ProcessorConfig.Cache cache = config(minimal()).cache();

    assertThat(cache.maxBytes()).isEqualTo(expected);
    assertThat(cache.maxBytesFromHeap()).isTrue();
  }

  @Test
  void shouldTreatABlankCacheBoundAsNotSet() {
    Map<String, String> m = minimal();
    m.put("cache.max.bytes", " ");

    assertThat(config(m).cache().maxBytesFromHeap()).isTrue();
  }

  @Test
  void shouldKeepTheHeapDerivedCacheBoundBetween16And256MiB() {
    long mib = 1024 * 1024;
    assertThat(ProcessorConfig.Cache.defaultMaxBytes(512 * mib)).isEqualTo(64 * mib);
    assertThat(ProcessorConfig.Cache.defaultMaxBytes(64 * mib)).isEqualTo(16 * mib);
    assertThat(ProcessorConfig.Cache.defaultMaxBytes(4096 * mib)).isEqualTo(256 * mib);
    // maxMemory() answers Long.MAX_VALUE when the heap has no limit.
    assertThat(ProcessorConfig.Cache.defaultMaxBytes(Long.MAX_VALUE)).isEqualTo(256 * mib);
  }

  @Test
  void shouldLetAnExplicitCacheBoundWinOverTheHeap() {
    Map<String, String> m = minimal();
    m.put("cache.max.bytes", "1");

    ProcessorConfig.Cache cache = config(m).cache();

    assertThat(cache.maxBytes()).isEqualTo(1);
    assertThat(cache.maxBytesFromHeap()).isFalse();

    m.put("cache.max.bytes", String.valueOf(1L << 40));
    assertThat(config(m).cache().maxBytes()).isEqualTo(1L << 40);
  }

  @Test
  void shouldPrefixEveryTopic() {
    Map<String, String> m = minimal();
    m.put("topic.prefix", "prod.");
    ProcessorConfig c = config(m);
    assertThat(c.topics().all()).allMatch(t -> t.startsWith("prod."));
    assertThat(c.topics().cacheIndex()).startsWith("prod.");
  }

  @Test
  void shouldNameTheSettingAndTheAcceptedValues() {
    Map<String, String> m = minimal();
    m.put("model.max.in.flight", "lots");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.max.in.flight")
        .hasMessageContaining("'lots'")
        .hasMessageContaining("1..10000");

    Map<String, String> m2 = minimal();
    m2.put("input.http.allow.private", "yes");
    assertThatThrownBy(() -> config(m2))
        .hasMessageContaining("input.http.allow.private")
        .hasMessageContaining("true or false");

    Map<String, String> m3 = minimal();
    m3.put("retry.backoff.initial.ms", "5000");
    m3.put("retry.backoff.max.ms", "100");
    assertThatThrownBy(() -> config(m3)).hasMessageContaining("retry.backoff.max.ms");
  }

  @Test
  void shouldReadImageFetchLimits() {
    ProcessorConfig defaults = config(minimal());
    assertThat(defaults.input().connectTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(defaults.input().fetchTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(defaults.input().maxRedirects()).isEqualTo(3);

    Map<String, String> m = minimal();
    m.put("input.http.connect.timeout.ms", "2500");
    m.put("input.http.timeout.ms", "120000");
    m.put("input.http.max.redirects", "0");
    ProcessorConfig c = config(m);
    assertThat(c.input().connectTimeout()).isEqualTo(java.time.Duration.ofMillis(2500));
    assertThat(c.input().fetchTimeout()).isEqualTo(java.time.Duration.ofMinutes(2));
    assertThat(c.input().maxRedirects()).isZero();

    Map<String, String> bad = minimal();
    bad.put("input.http.timeout.ms", "0");
    assertThatThrownBy(() -> config(bad)).hasMessageContaining("input.http.timeout.ms");
  }

  @Test
  void shouldRequireAnApiKeyAndSayHowToSetIt() {
    assertThatThrownBy(() -> config(new HashMap<>()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GEMINI_API_KEY");
  }

  @Test
  void shouldReadTheKeyFromAFileAndNeverPrintIt(@TempDir Path dir) throws Exception {
    Path keyFile = dir.resolve("key");
    Files.writeString(keyFile, "file-key-0123456789\n");
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key.file", keyFile.toString());
    m.put("kafka.sasl.jaas.config", "org.apache.kafka...PlainLoginModule password=\"hunter2\";");
    ProcessorConfig c = config(m);
    assertThat(c.model().apiKey()).isEqualTo("file-key-0123456789");
    assertThat(c.toString()).doesNotContain("file-key-0123456789").doesNotContain("hunter2");
    assertThat(c.kafka()).containsKey("sasl.jaas.config");
  }

  @Test
  void shouldMaskEveryClientSettingThatMayHoldASecretWhenPrinted() {
    Map<String, String> m = minimal();
    m.put("kafka.ssl.keystore.key", "-----BEGIN PRIVATE KEY----- pem-7f3a");
    m.put("kafka.ssl.key.password", "keypass-51c2");
    m.put("kafka.sasl.oauthbearer.client.credentials.client.secret", "oauth-secret-9d04");
    m.put("schema.registry.ssl.keystore.password", "registry-pass-2b7e");
    m.put("schema.registry.basic.auth.user.info", "user:registry-info-6a1f");
    m.put("schema.registry.bearer.auth.token", "registry-token-c83d");
    m.put("kafka.security.protocol", "SASL_SSL");
    String printed = config(m).toString();
    assertThat(printed)
        .doesNotContain("pem-7f3a")
        .doesNotContain("keypass-51c2")
        .doesNotContain("oauth-secret-9d04")
        .doesNotContain("registry-pass-2b7e")
        .doesNotContain("registry-info-6a1f")
        .doesNotContain("registry-token-c83d")
        .contains("security.protocol=SASL_SSL");
  }

  @Test
  void shouldRejectBothKeyAndKeyFile(@TempDir Path dir) throws Exception {
    Path keyFile = dir.resolve("key");
    Files.writeString(keyFile, "x");
    Map<String, String> m = minimal();
    m.put("gemini.api.key.file", keyFile.toString());
    assertThatThrownBy(() -> config(m)).hasMessageContaining("not both");
  }

  @Test
  void shouldTakeEnvironmentOverFileAndPassKafkaSettingsThrough(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("editstream.properties");
    Files.writeString(
        file,
        "kafka.bootstrap.servers=file:9092\nmodel.max.in.flight=8\nkafka.security.protocol=SSL\n");
    Map<String, String> env =
        Map.of(
            "KAFKA_BOOTSTRAP_SERVERS", "env:9092",
            "GEMINI_API_KEY", "env-key-0123456789",
            "EDITSTREAM_MODEL_MAX_IN_FLIGHT", "16",
            "EDITSTREAM_KAFKA_SASL_MECHANISM", "PLAIN");
    ProcessorConfig c = ProcessorConfig.from(Settings.load(file, env));
    assertThat(c.kafka())
        .containsEntry("bootstrap.servers", "env:9092")
        .containsEntry("security.protocol", "SSL")
        .containsEntry("sasl.mechanism", "PLAIN");
    assertThat(c.model().maxInFlight()).isEqualTo(16);
  }

  @Test
  void shouldHoldATenantAfterFiveSafetyBlocksAnHourByDefault() {
    ProcessorConfig c = config(minimal());
    assertThat(c.safetyStrikes())
        .isEqualTo(
            new ProcessorConfig.SafetyStrikes(
                5, java.time.Duration.ofHours(1), ProcessorConfig.SafetyStrikes.Action.HOLD));
    assertThat(c.topics().holds()).isEqualTo("edit-tenant-holds");

    Map<String, String> m = minimal();
    m.put("safety.strikes.threshold", "0");
    m.put("safety.strikes.window", "15m");
    m.put("safety.strikes.action", "FAIL");
    m.put("topic.prefix", "prod.");
    ProcessorConfig off = config(m);
    assertThat(off.safetyStrikes().counting()).isFalse();
    assertThat(off.safetyStrikes().window()).isEqualTo(java.time.Duration.ofMinutes(15));
    assertThat(off.safetyStrikes().action()).isEqualTo(ProcessorConfig.SafetyStrikes.Action.FAIL);
    assertThat(off.topics().holds()).isEqualTo("prod.edit-tenant-holds");
  }

  @Test
  void shouldNameTheSafetyStrikeSettingThatIsWrong() {
    Map<String, String> m = minimal();
    m.put("safety.strikes.threshold", "-1");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("safety.strikes.threshold")
        .hasMessageContaining("0..10000");
    m.remove("safety.strikes.threshold");
    m.put("safety.strikes.window", "0");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("safety.strikes.window")
        .hasMessageContaining("out of range");
    m.put("safety.strikes.window", "an hour");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("safety.strikes.window")
        .hasMessageContaining("1h");
    m.remove("safety.strikes.window");
    m.put("safety.strikes.action", "pause");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("safety.strikes.action")
        .hasMessageContaining("accepted hold or fail");
  }

  @Test
  void shouldDocumentEverySetting() {
    assertThat(Settings.ALL)
        .allSatisfy(
            s -> {
              assertThat(s.doc()).as(s.name()).isNotBlank();
              assertThat(s.env()).as(s.name()).matches("[A-Z][A-Z0-9_]+");
            });
    assertThat(Settings.ALL.stream().map(Setting::name).distinct().count())
        .isEqualTo(Settings.ALL.size());
  }

  @Test
  void shouldValidateProvidersByName() {
    Map<String, String> m = minimal();
    m.put("model.providers", "ai-studio,openai");
    assertThatThrownBy(() -> config(m))
        .hasMessageContaining("model.providers")
        .hasMessageContaining("'openai'")
        .hasMessageContaining("wavespeed");

    Map<String, String> vertex = new HashMap<>();
    vertex.put("model.providers", "vertex");
    assertThatThrownBy(() -> config(vertex)).hasMessageContaining("vertex.project");
    vertex.put("vertex.project", "my-project");
    ProcessorConfig c = config(vertex);
    assertThat(c.providers().order()).containsExactly("vertex");
    assertThat(c.model().apiKey()).as("no AI Studio key needed without ai-studio").isNull();

    Map<String, String> ws = minimal();
    ws.put("model.providers", "ai-studio,wavespeed");
    assertThatThrownBy(() -> config(ws)).hasMessageContaining("WAVESPEED_API_KEY");
    ws.put("wavespeed.api.key", "ws-secret-0123456789");
    assertThat(config(ws).toString()).doesNotContain("ws-secret-0123456789");
  }

  @Test
  void shouldRefuseAddressesThatAreNotUrlsOrHostPortsNamingTheSettingAndItsVariable() {
    Map<String, String> noScheme = minimal();
    noScheme.put("gemini.base.url", "localhost:8080");
    assertThatThrownBy(() -> config(noScheme))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("gemini.base.url")
        .hasMessageContaining("GEMINI_BASE_URL")
        .hasMessageContaining("http://localhost:8081");

    Map<String, String> registry = minimal();
    registry.put("schema.registry.url", "http://r1:8081, https://user:hunter2@r2:8081/ccompat,r3");
    assertThatThrownBy(() -> config(registry))
        .hasMessageContaining("schema.registry.url")
        .hasMessageContaining("'r3'")
        .hasMessageNotContaining("hunter2");
    registry.put("schema.registry.url", "mock://unit");
    assertThat(config(registry).registry().get("schema.registry.url")).isEqualTo("mock://unit");
    registry.put("schema.registry.url", "http://r1:8081, https://user:hunter2@r2:8081/ccompat");
    assertThat(config(registry).registry().get("schema.registry.url"))
        .isEqualTo("http://r1:8081, https://user:hunter2@r2:8081/ccompat");

    Map<String, String> kafka = minimal();
    kafka.put("kafka.bootstrap.servers", "broker1:9092,broker2");
    assertThatThrownBy(() -> config(kafka))
        .hasMessageContaining("kafka.bootstrap.servers")
        .hasMessageContaining("'broker2' is not HOST:PORT")
        .hasMessageContaining("KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void shouldNameTheSettingWhenItsEndpointRefusesConnections() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String url = "http://user:s3cret@127.0.0.1:" + closedPort + "/v1beta";

    assertThat(Reachability.problem("gemini.base.url", url, java.time.Duration.ofSeconds(2)))
        .hasValueSatisfying(
            message ->
                assertThat(message)
                    .contains("cannot connect to http://127.0.0.1:" + closedPort)
                    .contains("gemini.base.url / GEMINI_BASE_URL")
                    .doesNotContain("s3cret"));

    try (java.net.ServerSocket open =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(
              Reachability.problem(
                  "gemini.base.url",
                  "http://127.0.0.1:" + open.getLocalPort(),
                  java.time.Duration.ofSeconds(2)))
          .isEmpty();
    }
  }

  @Test
  void shouldNameTheBootstrapSettingAndTheAddressesTriedWhenNoBrokerAnswers() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }

    assertThat(Reachability.kafka("127.0.0.1:" + closedPort, java.time.Duration.ZERO))
        .hasValueSatisfying(
            message ->
                assertThat(message)
                    .contains("127.0.0.1:" + closedPort + ": Connection refused")
                    .contains("kafka.bootstrap.servers / KAFKA_BOOTSTRAP_SERVERS"));
    try (java.net.ServerSocket broker =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(
              Reachability.kafka(
                  "127.0.0.1:" + closedPort + ",127.0.0.1:" + broker.getLocalPort(),
                  java.time.Duration.ZERO))
          .as("one address answering is enough")
          .isEmpty();
    }
  }

  @Test
  void shouldSayThatTheConfigFileIsMissing(@TempDir Path dir) {
    assertThatThrownBy(() -> Settings.load(dir.resolve("nope.properties"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nope.properties: no such file");
  }

  @Test
  void shouldLeaveTheBatchLaneOffByDefaultAndReadItsSettings() {
    assertThat(config(minimal()).batch().on()).isFalse();

    Map<String, String> m = minimal();
    m.put("batch.lane", "bulk");
    m.put("batch.max.requests", "50");
    m.put("batch.max.wait.ms", "500");
    m.put("batch.poll.interval.ms", "200");
    m.put("batch.on.batch.failure", "fail");
    ProcessorConfig.Batch batch = config(m).batch();

    assertThat(batch.on()).isTrue();
    assertThat(batch.perJob()).isFalse();
    assertThat(batch.maxRequests()).isEqualTo(50);
    assertThat(batch.maxWait()).isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(batch.pollInterval()).isEqualTo(java.time.Duration.ofMillis(200));
    assertThat(batch.failOnBatchFailure()).isTrue();
  }

  @Test
  void shouldNameTheBatchSettingThatIsWrong() {
    Map<String, String> m = minimal();
    m.put("batch.lane", "all");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.lane")
        .hasMessageContaining("off, bulk, per-job");

    m.put("batch.lane", "per-job");
    assertThat(config(m).batch().on()).isTrue();
    assertThat(config(m).batch().perJob()).isTrue();

    m.put("batch.lane", "bulk");
    m.put("batch.on.batch.failure", "retry");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.on.batch.failure")
        .hasMessageContaining("online, fail");

    m.remove("batch.on.batch.failure");
    m.put("batch.max.requests", "0");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.max.requests");
  }

  @Test
  void shouldReadTheBatchDeadlineAndQuotaAndNameTheOneThatIsWrong() {
    ProcessorConfig.Batch defaults = config(minimal()).batch();
    assertThat(defaults.deadline()).isEqualTo(java.time.Duration.ofHours(24));
    assertThat(defaults.failOnDeadline()).isFalse();
    assertThat(defaults.quotaEnqueuedRequests()).isEqualTo(100_000);
    assertThat(defaults.quotaEnqueuedTokens()).isZero();

    Map<String, String> m = minimal();
    m.put("batch.deadline.ms", "3600000");
    m.put("batch.on.deadline", "fail");
    m.put("batch.quota.enqueued.requests", "500");
    m.put("batch.quota.enqueued.tokens", "2000000");
    ProcessorConfig.Batch batch = config(m).batch();
    assertThat(batch.deadline()).isEqualTo(java.time.Duration.ofHours(1));
    assertThat(batch.failOnDeadline()).isTrue();
    assertThat(batch.quotaEnqueuedRequests()).isEqualTo(500);
    assertThat(batch.quotaEnqueuedTokens()).isEqualTo(2_000_000);

    m.put("batch.on.deadline", "retry");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.on.deadline")
        .hasMessageContaining("online, fail");
    m.remove("batch.on.deadline");
    m.put("batch.deadline.ms", "0");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.deadline.ms");
    m.remove("batch.deadline.ms");
    m.put("batch.quota.enqueued.tokens", "-1");
    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("batch.quota.enqueued.tokens");
  }
}
