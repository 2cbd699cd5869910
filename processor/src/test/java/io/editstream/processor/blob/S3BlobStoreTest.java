package io.editstream.processor.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.hash.Hashing;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/** The S3 blob store against a real S3 REST server (S3Proxy, or EDITSTREAM_S3_ENDPOINT). */
@ExtendWith(RealInfra.class)
class S3BlobStoreTest {
  private final S3Server s3;
  private final String bucket;
  private S3BlobStore store;

  S3BlobStoreTest(S3Server s3) {
    this.s3 = s3;
    this.bucket = TestTopics.unique("blobs").toLowerCase(Locale.ROOT);
    s3.createBucket(bucket);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private S3BlobStore.Builder builder(String bucket) {
    return S3BlobStore.builder(bucket, s3.region())
        .endpoint(s3.endpoint())
        .pathStyle(s3.pathStyle())
        .credentials(s3.accessKey(), s3.secretKey());
  }

  private static byte[] image(int seed) {
    byte[] bytes = new byte[20_000];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void shouldStoreContentAddressedAndReadBack() {
    store = builder(bucket).prefix("images/").build();
    byte[] bytes = image(1);
    String sha256 = Hashing.sha256().hashBytes(bytes).toString();

    BlobRef ref = store.put(bytes, "IMAGE/PNG ");

    assertThat(ref.uri()).isEqualTo(URI.create("s3://" + bucket + "/images/" + sha256 + ".png"));
    assertThat(ref.sha256()).isEqualTo(sha256);
    assertThat(ref.mimeType()).isEqualTo("image/png");
    assertThat(ref.sizeBytes()).isEqualTo(bytes.length);
    assertThat(store.get(ref.uri())).isEqualTo(bytes);
    assertThat(store.exists(ref.uri())).isTrue();
    assertThat(
            s3.client()
                .headObject(r -> r.bucket(bucket).key("images/" + sha256 + ".png"))
                .contentType())
        .isEqualTo("image/png");
  }

  @Test
  void shouldNotWriteAnObjectThatIsAlreadyThere() {
    store = builder(bucket).build();
    byte[] bytes = image(2);
    BlobRef first = store.put(bytes, "image/jpeg");
    String key = first.uri().getPath().substring(1);
    // Same length, other bytes, written behind the store's back: a second write would undo it.
    byte[] marker = image(3);
    s3.client().putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(marker));

    BlobRef second = store.put(bytes, "image/jpeg");

    assertThat(second).isEqualTo(first);
    assertThat(s3.client().getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray())
        .as("the object was not written again")
        .isEqualTo(marker);
  }

  @Test
  void shouldHandOutAPresignedUrlThatPlainHttpCanRead() throws Exception {
    store = builder(bucket).presignTtl(Duration.ofMinutes(15)).build();
    byte[] bytes = image(4);
    BlobRef ref = store.put(bytes, "image/webp");
    Instant before = Instant.now();

    PresignedUrl url = store.presign(ref.uri()).orElseThrow();

    assertThat(url.url().getScheme()).isEqualTo(s3.endpoint().getScheme());
    assertThat(url.expiresAt())
        .isBetween(before.plusSeconds(14 * 60), Instant.now().plusSeconds(15 * 60 + 1));
    HttpResponse<byte[]> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(url.url()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Hashing.sha256().hashBytes(response.body()).toString()).isEqualTo(ref.sha256());
    assertThat(store.presign(ref.uri())).as("signed once per half TTL").contains(url);
  }

  @Test
  void shouldHandOutNoPresignedUrlWithoutATtl() {
    store = builder(bucket).build();
    BlobRef ref = store.put(image(5), "image/png");

    assertThat(store.presign(ref.uri())).isEmpty();
  }

  @Test
  void shouldRefuseUrisOfOtherBucketsAndPrefixes() {
    store = builder(bucket).prefix("images/").presignTtl(Duration.ofMinutes(1)).build();
    BlobRef ref = store.put(image(6), "image/png");
    String name = ref.uri().getPath().substring("/images/".length());
    URI otherBucket = URI.create("s3://other-bucket/images/" + name);
    URI otherPrefix = URI.create("s3://" + bucket + "/secrets/" + name);
    URI file = URI.create("file:/tmp/images/" + name);

    for (URI foreign : new URI[] {otherBucket, otherPrefix, file}) {
      assertThatThrownBy(() -> store.get(foreign))
          .as("%s", foreign)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a blob of this store");
      assertThat(store.exists(foreign)).as("%s", foreign).isFalse();
      assertThat(store.presign(foreign)).as("%s", foreign).isEmpty();
    }
  }

  @Test
  void shouldReportAMissingBlobAsNoSuchFile() {
    store = builder(bucket).build();
    URI missing = URI.create("s3://" + bucket + "/" + "0".repeat(64) + ".png");

    assertThat(store.exists(missing)).isFalse();
    assertThatThrownBy(() -> store.get(missing))
        .isInstanceOf(UncheckedIOException.class)
        .isNotInstanceOf(BlobStoreException.class)
        .hasCauseInstanceOf(NoSuchFileException.class);
  }

  @Test
  void shouldPassTheAccessCheckOnAnExistingBucket() {
    store = builder(bucket).build();

    store.checkAccess();
  }

  @Test
  void shouldSayWhenTheBucketDoesNotExist() {
    store = builder("no-such-bucket-" + bucket).build();

    assertThatThrownBy(store::checkAccess)
        .isInstanceOfSatisfying(
            BlobStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(BlobStoreException.Reason.NO_SUCH_BUCKET))
        .hasMessageContaining("no-such-bucket-" + bucket);
    assertThatThrownBy(() -> store.put(image(7), "image/png"))
        .isInstanceOfSatisfying(
            BlobStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(BlobStoreException.Reason.NO_SUCH_BUCKET));
  }

  @Test
  void shouldSayWhenTheCredentialsAreRefused() {
    store =
        S3BlobStore.builder(bucket, s3.region())
            .endpoint(s3.endpoint())
            .pathStyle(s3.pathStyle())
            .credentials(s3.accessKey(), "not-the-secret-key")
            .build();

    assertThatThrownBy(store::checkAccess)
        .isInstanceOfSatisfying(
            BlobStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(BlobStoreException.Reason.ACCESS_DENIED))
        .hasMessageContaining("403")
        .hasMessageNotContaining("not-the-secret-key");
  }

  @Test
  void shouldThrowUnavailableWhenTheStoreCannotBeReached() throws Exception {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    store =
        S3BlobStore.builder(bucket, s3.region())
            .endpoint(URI.create("http://127.0.0.1:" + closedPort))
            .pathStyle(true)
            .credentials("a", "b")
            .build();

    assertThatThrownBy(() -> store.put(image(8), "image/png"))
        .isInstanceOfSatisfying(
            BlobStoreException.class,
            e -> assertThat(e.reason()).isEqualTo(BlobStoreException.Reason.UNAVAILABLE))
        .isInstanceOf(UncheckedIOException.class);
  }
}
