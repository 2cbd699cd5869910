package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

@ExtendWith(RealInfra.class)
class S3ServerTest {

  private static String bucket() {
    return TestTopics.unique("bucket").toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
  }

  @Test
  void shouldStoreAndReturnAnObjectThroughTheRealServer(S3Server s3) {
    String bucket = bucket();
    s3.createBucket(bucket);
    byte[] bytes = "finished image".getBytes(StandardCharsets.UTF_8);

    s3.client().putObject(b -> b.bucket(bucket).key("a/b.png"), RequestBody.fromBytes(bytes));

    assertThat(s3.client().getObjectAsBytes(b -> b.bucket(bucket).key("a/b.png")).asByteArray())
        .isEqualTo(bytes);
    assertThat(s3.client().listObjectsV2(b -> b.bucket(bucket)).contents())
        .extracting(o -> o.key())
        .containsExactly("a/b.png");
  }

  @Test
  void shouldCreateAnExistingBucketAgainWithoutComplaint(S3Server s3) {
    String bucket = bucket();
    s3.createBucket(bucket);

    s3.createBucket(bucket);

    assertThat(s3.client().headBucket(b -> b.bucket(bucket)).sdkHttpResponse().isSuccessful())
        .isTrue();
  }

  @Test
  void shouldRefuseRequestsSignedWithAnotherSecret(S3Server s3) {
    String bucket = bucket();
    s3.createBucket(bucket);
    try (S3Client wrong =
        S3Client.builder()
            .endpointOverride(s3.endpoint())
            .region(Region.of(s3.region()))
            .forcePathStyle(s3.pathStyle())
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(s3.accessKey(), "not-the-secret")))
            .httpClient(UrlConnectionHttpClient.builder().build())
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .build()) {

      assertThatThrownBy(() -> wrong.headBucket(b -> b.bucket(bucket)))
          .isInstanceOfSatisfying(
              S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
    }
  }

  @Test
  void shouldKeepObjectsAndPortAcrossStopAndStart(S3Server s3) {
    assumeTrue(s3.supportsRestart(), "only the S3Proxy process can be restarted");
    String bucket = bucket();
    s3.createBucket(bucket);
    byte[] bytes = {1, 2, 3, 4};
    s3.client().putObject(b -> b.bucket(bucket).key("kept"), RequestBody.fromBytes(bytes));

    s3.stop();
    try {
      assertThat(s3.running()).isFalse();
      assertThatThrownBy(() -> s3.client().headBucket(b -> b.bucket(bucket)))
          .hasMessageContaining("Unable to execute HTTP request");
    } finally {
      s3.start();
    }

    assertThat(s3.running()).isTrue();
    assertThat(s3.client().getObjectAsBytes(b -> b.bucket(bucket).key("kept")).asByteArray())
        .isEqualTo(bytes);
  }
}
