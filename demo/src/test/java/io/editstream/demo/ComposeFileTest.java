package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.editstream.processor.config.Setting;
import io.editstream.processor.config.Settings;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and prometheus.yml. Always: parsed with Jackson YAML and checked for the
 * services, images, settings and wiring the README promises. When the {@code docker-compose} binary
 * is installed (Debian's package: {@code apt-get install docker-compose}), also validated by {@code
 * docker-compose config}, which needs no Docker engine.
 */
class ComposeFileTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final Path root = Repo.root();
  private final Path compose = root.resolve("docker-compose.yml");

  private JsonNode compose() throws Exception {
    return YAML.readTree(compose.toFile());
  }

  @Test
  void shouldDefineTheWholeStack() throws Exception {
    JsonNode services = compose().get("services");
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .containsExactlyInAnyOrder(
            "kafka",
            "topics",
            "schema-registry",
            "emulator",
            "minio",
            "minio-setup",
            "processor",
            "prometheus",
            "grafana");
    assertThat(services.at("/kafka/image").asText()).startsWith("apache/kafka:4.");
    assertThat(services.at("/kafka/environment/KAFKA_PROCESS_ROLES").asText())
        .isEqualTo("broker,controller");
    assertThat(services.at("/schema-registry/image").asText())
        .startsWith("confluentinc/cp-schema-registry:");
    assertThat(services.at("/prometheus/image").asText()).startsWith("prom/prometheus:");
  }

  @Test
  void shouldBuildProcessorAndEmulatorFromTheirDockerfiles() throws Exception {
    JsonNode services = compose().get("services");
    for (String module : List.of("processor", "emulator")) {
      String context = services.at("/" + module + "/build").asText();
      assertThat(context).isEqualTo("./" + module);
      assertThat(root.resolve(context).resolve("Dockerfile")).exists();
    }
  }

  @Test
  void shouldConfigureTheProcessorOnlyWithSettingsItKnows() throws Exception {
    JsonNode env = compose().at("/services/processor/environment");
    Set<String> known =
        Settings.ALL.stream().map(Setting::env).collect(java.util.stream.Collectors.toSet());
    List<String> names = new ArrayList<>();
    env.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .contains(
            "KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL", "GEMINI_API_KEY", "GEMINI_BASE_URL");
    // EDITSTREAM_KAFKA_* and EDITSTREAM_SCHEMA_REGISTRY_* pass through to the clients.
    assertThat(
            names.stream()
                .filter(
                    n ->
                        !n.startsWith("EDITSTREAM_KAFKA_")
                            && !n.startsWith("EDITSTREAM_SCHEMA_REGISTRY_")))
        .allSatisfy(n -> assertThat(known).contains(n));
    assertThat(env.get("KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:19092");
    assertThat(env.get("SCHEMA_REGISTRY_URL").asText()).isEqualTo("http://schema-registry:8081");
    // Unset -> the emulator; set to empty (with a real key) -> Google.
    assertThat(env.get("GEMINI_BASE_URL").asText())
        .isEqualTo("${GEMINI_BASE_URL-http://emulator:8089}");
  }

  @Test
  void shouldStoreFinishedImagesInTheMinioBucketTheSetUpCreates() throws Exception {
    JsonNode services = compose().get("services");
    // Pinned releases, not latest.
    assertThat(services.at("/minio/image").asText())
        .matches("minio/minio:RELEASE\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z");
    assertThat(services.at("/minio-setup/image").asText())
        .matches("minio/mc:RELEASE\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z");
    JsonNode env = services.at("/processor/environment");
    assertThat(env.get("EDITSTREAM_BLOB_STORE").asText()).isEqualTo("s3");
    assertThat(env.get("EDITSTREAM_BLOB_S3_ENDPOINT").asText()).isEqualTo("http://minio:9000");
    assertThat(env.get("EDITSTREAM_BLOB_S3_PATH_STYLE").asText()).isEqualTo("true");
    assertThat(env.get("EDITSTREAM_BLOB_S3_PRESIGN_TTL").asText()).isNotBlank();
    // The processor's keys are MinIO's, and its bucket is the one the set-up creates.
    JsonNode minio = services.at("/minio/environment");
    assertThat(env.get("EDITSTREAM_BLOB_S3_ACCESS_KEY").asText())
        .isEqualTo(minio.get("MINIO_ROOT_USER").asText());
    assertThat(env.get("EDITSTREAM_BLOB_S3_SECRET_KEY").asText())
        .isEqualTo(minio.get("MINIO_ROOT_PASSWORD").asText());
    JsonNode setup = services.get("minio-setup");
    assertThat(setup.at("/environment/BUCKET").asText())
        .isEqualTo(env.get("EDITSTREAM_BLOB_S3_BUCKET").asText());
    String script = setup.at("/command/0").asText();
    assertThat(script)
        .contains("mc mb --ignore-existing \"store/$$BUCKET\"")
        .contains("mc ilm import \"store/$$BUCKET\" < /etc/editstream/lifecycle.json");
    assertThat(setup.at("/depends_on/minio/condition").asText()).isEqualTo("service_healthy");
    // Start-up checks the bucket: the processor waits for the set-up to finish.
    assertThat(services.at("/processor/depends_on/minio-setup/condition").asText())
        .isEqualTo("service_completed_successfully");
    // The same environment must reach every instance of --scale processor=N.
    assertThat(services.at("/processor/ports").isMissingNode()).isTrue();
    assertThat(env.get("EDITSTREAM_STATE_DIR").asText()).isEqualTo("/data/state");
    assertThat(services.at("/processor/volumes/0").asText()).isEqualTo("processor-data:/data");
  }

  @Test
  void shouldExpireFinishedImagesLaterThanTheCacheAnswersWithThem() throws Exception {
    List<String> volumes = new ArrayList<>();
    compose().at("/services/minio-setup/volumes").forEach(v -> volumes.add(v.asText()));
    assertThat(volumes)
        .containsExactly("./ops/s3/lifecycle.json:/etc/editstream/lifecycle.json:ro");
    // The file both mc ilm import and aws s3api put-bucket-lifecycle-configuration read.
    JsonNode rule =
        new ObjectMapper().readTree(root.resolve("ops/s3/lifecycle.json").toFile()).at("/Rules/0");
    assertThat(rule.get("Status").asText()).isEqualTo("Enabled");
    assertThat(rule.at("/Filter/Prefix").asText()).isEmpty();
    long days = rule.at("/Expiration/Days").asLong();
    long cacheTtlDays =
        java.time.Duration.ofMillis(Long.parseLong(Settings.of(Map.of()).string("cache.ttl.ms")))
            .toDays();
    // A day at least for the slowest consumer of a cache hit's image.
    assertThat(days).isGreaterThanOrEqualTo(cacheTtlDays + 1);
  }

  @Test
  void shouldCreateEveryTopicTheProcessorUses() throws Exception {
    String script = compose().at("/services/topics/command").get(0).asText();
    for (String setting :
        List.of("topic.jobs", "topic.results", "topic.failures", "topic.dlq", "topic.cache")) {
      assertThat(script).as(setting).contains(Settings.of(Map.of()).string(setting));
    }
    assertThat(script).contains("cleanup.policy=compact").contains("--if-not-exists");
    // Results inline images up to the processor's limit: the topic must take such records.
    long inline =
        compose().at("/services/processor/environment/EDITSTREAM_OUTPUT_INLINE_MAX_BYTES").asLong();
    java.util.regex.Matcher max =
        java.util.regex.Pattern.compile(
                "edit-results\\S*\\s*\\\\?\\s*--partitions \\S+ --config max.message.bytes=(\\d+)")
            .matcher(script);
    assertThat(max.find()).as(script).isTrue();
    assertThat(Long.parseLong(max.group(1))).isGreaterThan(inline);
  }

  @Test
  void shouldPublishHostPortsOnLoopbackOnly() throws Exception {
    compose()
        .get("services")
        .forEach(
            service ->
                service
                    .path("ports")
                    .forEach(p -> assertThat(p.asText()).startsWith("127.0.0.1:")));
  }

  @Test
  void shouldScrapeTheProcessorMetricsPort() throws Exception {
    JsonNode services = compose().get("services");
    assertThat(services.at("/prometheus/volumes/0").asText())
        .isEqualTo("./prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    JsonNode prometheus = YAML.readTree(root.resolve("prometheus.yml").toFile());
    JsonNode job = prometheus.at("/scrape_configs/0");
    assertThat(job.get("metrics_path").asText()).isEqualTo("/metrics");
    assertThat(job.at("/dns_sd_configs/0/names/0").asText()).isEqualTo("processor");
    assertThat(job.at("/dns_sd_configs/0/port").asText())
        .isEqualTo(services.at("/processor/environment/EDITSTREAM_HTTP_PORT").asText());
  }

  @Test
  void shouldLoadTheAlertRulesMountedIntoPrometheus() throws Exception {
    JsonNode prometheus = YAML.readTree(root.resolve("prometheus.yml").toFile());
    List<String> ruleFiles = new ArrayList<>();
    prometheus.path("rule_files").forEach(f -> ruleFiles.add(f.asText()));
    assertThat(ruleFiles).containsExactly("/etc/prometheus/rules/editstream-alerts.yml");
    List<String> volumes = new ArrayList<>();
    compose().at("/services/prometheus/volumes").forEach(v -> volumes.add(v.asText()));
    assertThat(volumes)
        .contains(
            "./ops/prometheus/editstream-alerts.yml:/etc/prometheus/rules/editstream-alerts.yml:ro");
    for (String volume : volumes) {
      assertThat(root.resolve(volume.split(":")[0])).as(volume).isRegularFile();
    }
  }

  @Test
  void shouldProvisionGrafanaWithPrometheusAndTheDashboard() throws Exception {
    JsonNode grafana = compose().at("/services/grafana");
    // A pinned release, not latest: provisioning formats change between majors.
    assertThat(grafana.get("image").asText()).matches("grafana/grafana:\\d+\\.\\d+\\.\\d+");
    List<String> volumes = new ArrayList<>();
    grafana.get("volumes").forEach(v -> volumes.add(v.asText()));
    assertThat(volumes)
        .containsExactlyInAnyOrder(
            "./ops/grafana/provisioning:/etc/grafana/provisioning:ro",
            "./ops/grafana/editstream.json:/var/lib/grafana/dashboards/editstream/editstream.json:ro");
    for (String volume : volumes) {
      assertThat(root.resolve(volume.split(":")[0])).as(volume).exists();
    }
    // The dashboard provider reads the directory the JSON is mounted into.
    JsonNode provider =
        YAML.readTree(root.resolve("ops/grafana/provisioning/dashboards/editstream.yml").toFile())
            .at("/providers/0");
    assertThat(provider.get("type").asText()).isEqualTo("file");
    assertThat(provider.at("/options/path").asText())
        .isEqualTo("/var/lib/grafana/dashboards/editstream");
    // The data source is the compose service Prometheus, on the port it listens on.
    JsonNode source =
        YAML.readTree(root.resolve("ops/grafana/provisioning/datasources/prometheus.yml").toFile())
            .at("/datasources/0");
    assertThat(source.get("url").asText()).isEqualTo("http://prometheus:9090");
    assertThat(compose().at("/services/prometheus/ports/0").asText()).endsWith(":9090");
    assertThat(grafana.at("/depends_on/0").asText()).isEqualTo("prometheus");
  }

  @Test
  void shouldBeValidForDockerCompose() throws Exception {
    Optional<Path> binary = onPath("docker-compose");
    assumeTrue(binary.isPresent(), "docker-compose is not installed; the YAML checks above ran");
    String emulator = config(binary.get(), Map.of());
    assertThat(emulator)
        .contains("GEMINI_BASE_URL: http://emulator:8089")
        .contains("EDITSTREAM_BLOB_STORE: s3")
        .contains("EDITSTREAM_BLOB_S3_BUCKET: editstream-images")
        .contains("image: minio/minio:RELEASE.");
    String google =
        config(binary.get(), Map.of("GEMINI_API_KEY", "real-key", "GEMINI_BASE_URL", ""));
    assertThat(google).contains("GEMINI_BASE_URL: ''").contains("GEMINI_API_KEY: real-key");
  }

  private String config(Path binary, Map<String, String> env) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(binary.toString(), "-f", compose.toString(), "config")
            .redirectErrorStream(true);
    pb.environment().remove("GEMINI_API_KEY");
    pb.environment().remove("GEMINI_BASE_URL");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("docker-compose config:%n%s", out).isZero();
    return out;
  }

  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
