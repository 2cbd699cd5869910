package io.editstream.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BlobSettingsTest {
  private static final String SECRET = "s3-secret-CANARY-0123456789";
  private static final String ACCESS = "AKIA-CANARY-ACCESS";

  private static Map<String, String> s3() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    m.put("blob.store", "s3");
    m.put("blob.s3.bucket", "finished-images");
    return m;
  }

  private static ProcessorConfig config(Map<String, String> values) {
    return ProcessorConfig.from(Settings.of(values));
  }

  private static void assertRejected(Map<String, String> m, String setting, String... phrases) {
    assertThatThrownBy(() -> config(m))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.setting()).isEqualTo(setting))
        .hasMessageStartingWith(setting + ": ")
        .hasMessageContainingAll(phrases);
  }

  @Test
  void shouldStoreLocallyByDefault() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");

    ProcessorConfig.Blob blob = config(m).blob();

    assertThat(blob.store()).isEqualTo("local");
    assertThat(blob.dir()).isEqualTo(Path.of("./editstream-blobs"));
    assertThat(blob.s3()).isNull();
  }

  @Test
  void shouldReadEveryS3Setting() {
    Map<String, String> m = s3();
    m.put("blob.s3.prefix", "prod/images/");
    m.put("blob.s3.region", "eu-central-1");
    m.put("blob.s3.endpoint", "http://minio:9000");
    m.put("blob.s3.path.style", "true");
    m.put("blob.s3.access.key", ACCESS);
    m.put("blob.s3.secret.key", SECRET);
    m.put("blob.s3.presign.ttl", "15m");

    ProcessorConfig.S3 s3 = config(m).blob().s3();

    assertThat(s3)
        .isEqualTo(
            new ProcessorConfig.S3(
                "finished-images",
                "prod/images/",
                "eu-central-1",
                URI.create("http://minio:9000"),
                true,
                ACCESS,
                SECRET,
                Duration.ofMinutes(15)));
  }

  @Test
  void shouldDefaultToTheSdkChainsAndNoPresignedUrl() {
    ProcessorConfig.S3 s3 = config(s3()).blob().s3();

    assertThat(s3.prefix()).isEmpty();
    assertThat(s3.region()).isNull();
    assertThat(s3.endpoint()).isNull();
    assertThat(s3.pathStyle()).isFalse();
    assertThat(s3.accessKey()).isNull();
    assertThat(s3.secretKey()).isNull();
    assertThat(s3.presignTtl()).isZero();
  }

  @Test
  void shouldNameTheAcceptedStores() {
    Map<String, String> m = s3();
    m.put("blob.store", "gcs");

    assertRejected(m, "blob.store", "'gcs'", "[local, s3]");
  }

  @Test
  void shouldRequireABucketForS3() {
    Map<String, String> m = s3();
    m.remove("blob.s3.bucket");

    assertRejected(
        m, "blob.s3.bucket", "is required with blob.store=s3", "EDITSTREAM_BLOB_S3_BUCKET");
  }

  @Test
  void shouldRejectABadBucketName() {
    Map<String, String> m = s3();
    m.put("blob.s3.bucket", "Finished_Images");

    assertRejected(m, "blob.s3.bucket", "'Finished_Images'", "lowercase");
  }

  @Test
  void shouldRejectAPrefixThatLeavesItsDirectory() {
    Map<String, String> m = s3();
    m.put("blob.s3.prefix", "../other/");

    assertRejected(m, "blob.s3.prefix", "'../other/'");
  }

  @Test
  void shouldRejectAnEndpointThatIsNoHttpUrl() {
    Map<String, String> m = s3();
    m.put("blob.s3.endpoint", "minio:9000");

    assertRejected(m, "blob.s3.endpoint", "http(s) URL");
  }

  @Test
  void shouldRequireBothKeysOrNeither() {
    Map<String, String> m = s3();
    m.put("blob.s3.access.key", ACCESS);

    assertRejected(m, "blob.s3.secret.key", "blob.s3.access.key and blob.s3.secret.key");
  }

  @Test
  void shouldAcceptTheDocumentedDurationForms() {
    Map<String, Duration> forms =
        Map.of(
            "0", Duration.ZERO,
            "", Duration.ZERO,
            "900s", Duration.ofMinutes(15),
            "1h", Duration.ofHours(1),
            "PT1H", Duration.ofHours(1),
            "7d", Duration.ofDays(7));
    forms.forEach(
        (text, expected) -> {
          Map<String, String> m = s3();
          m.put("blob.s3.presign.ttl", text);
          assertThat(config(m).blob().s3().presignTtl()).as(text).isEqualTo(expected);
        });
  }

  @Test
  void shouldRejectAPresignTtlBeyondSevenDaysOrUnreadable() {
    Map<String, String> tooLong = s3();
    tooLong.put("blob.s3.presign.ttl", "8d");
    assertRejected(tooLong, "blob.s3.presign.ttl", "'8d'", "out of range");

    Map<String, String> unreadable = s3();
    unreadable.put("blob.s3.presign.ttl", "an hour");
    assertRejected(unreadable, "blob.s3.presign.ttl", "'an hour'", "1h");
  }

  @Test
  void shouldNeverPrintTheS3Credentials() {
    Map<String, String> m = s3();
    m.put("blob.s3.access.key", ACCESS);
    m.put("blob.s3.secret.key", SECRET);

    String text = config(m).toString();

    assertThat(text).contains("finished-images").doesNotContain(SECRET).doesNotContain(ACCESS);
  }

  @Test
  void shouldMarkTheS3CredentialsSecretInTheReference() {
    assertThat(Settings.ALL)
        .filteredOn(s -> s.name().startsWith("blob.s3.") && s.name().endsWith(".key"))
        .extracting(Setting::name, Setting::secret)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("blob.s3.access.key", true),
            org.assertj.core.groups.Tuple.tuple("blob.s3.secret.key", true));
  }

  @Test
  void shouldReadInputBucketsOnlyWithAnS3Store() {
    Map<String, String> m = s3();
    m.put("input.s3.allowed.buckets", " catalogue-inputs , uploads ");

    assertThat(config(m).input().allowedBuckets()).containsExactly("catalogue-inputs", "uploads");

    Map<String, String> local = new HashMap<>();
    local.put("gemini.api.key", "k-0123456789-secret");
    local.put("input.s3.allowed.buckets", "catalogue-inputs");
    assertRejected(local, "input.s3.allowed.buckets", "blob.store=s3");
  }

  @Test
  void shouldKeepLocalImagesAWeekByDefaultAndRefuseARetentionShorterThanTheCache() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    assertThat(config(m).blob().retention()).isEqualTo(java.time.Duration.ofDays(7));

    m.put("blob.retention.ms", "0");
    assertThat(config(m).blob().retention()).isZero();

    m.put("blob.retention.ms", "3600000");
    assertRejected(m, "blob.retention.ms", "cache.ttl.ms");
  }
}
