package io.editstream.processor.image;

import static io.editstream.processor.image.Loads.loaded;
import static io.editstream.processor.image.Loads.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.blob.S3ObjectSource;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** {@code s3://} input images against a real S3 server (S3Proxy), with the bucket allow-list. */
class ImageLoaderS3Test {
  private final S3Server s3 = S3Server.shared();
  private ExecutorService executor;
  private String bucket;
  private String other;
  private ImageLoader loader;

  private String newBucket(String name) {
    String b = TestTopics.unique(name).toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    s3.createBucket(b);
    return b;
  }

  @BeforeEach
  void setUp() {
    executor = Executors.newFixedThreadPool(2);
    bucket = newBucket("inputs");
    other = newBucket("private");
    loader =
        new ImageLoader(
            ImageLimits.defaults(),
            FetchPolicy.defaults().withAllowedBuckets(Set.of(bucket)),
            executor,
            HostResolver.SYSTEM,
            new S3ObjectSource(s3.client()));
  }

  @AfterEach
  void tearDown() {
    executor.shutdownNow();
  }

  private void put(String b, String key, byte[] bytes) {
    s3.client().putObject(r -> r.bucket(b).key(key), RequestBody.fromBytes(bytes));
  }

  private static InputImage byUri(String uri) {
    return InputImage.newBuilder().setMimeType("image/png").setUri(uri).build();
  }

  @Test
  void shouldReadAnImageFromAnAllowedBucket() throws Exception {
    byte[] png = TestImages.resource("chelsea.png");
    put(bucket, "in/cat.png", png);

    LoadedImage image = loaded(loader.load(byUri("s3://" + bucket + "/in/cat.png"), 0));

    assertThat(image.bytes()).isEqualTo(png);
    assertThat(image.type()).isEqualTo(ImageType.PNG);
  }

  @Test
  void shouldRefuseABucketOutsideTheAllowListWithoutReadingIt() throws Exception {
    put(other, "secret.png", TestImages.resource("chelsea.png"));

    ImageRejectedException e = rejected(loader.load(byUri("s3://" + other + "/secret.png"), 2));

    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage())
        .startsWith("images[2].uri: bucket '" + other + "' is not in input.s3.allowed.buckets");
  }

  @Test
  void shouldFailAMissingObjectPermanently() {
    ImageRejectedException e = rejected(loader.load(byUri("s3://" + bucket + "/gone.png"), 0));

    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).isEqualTo("images[0].uri: object does not exist");
  }

  @Test
  void shouldRefuseAnObjectLargerThanTheLimit() {
    byte[] big = new byte[(int) ImageLimits.defaults().maxBytes() + 10];
    Arrays.fill(big, (byte) 7);
    put(bucket, "big.png", big);

    ImageRejectedException e = rejected(loader.load(byUri("s3://" + bucket + "/big.png"), 0));

    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
  }

  @Test
  void shouldRejectMalformedS3Uris() {
    for (String uri :
        new String[] {
          "s3://" + bucket + "/", "s3://" + bucket + "/a.png?versionId=1", "s3://u@" + bucket + "/a"
        }) {
      ImageRejectedException e = rejected(loader.load(byUri(uri), 0));
      assertThat(e.code()).as(uri).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    }
  }

  @Test
  void shouldNameTheSettingWhenS3IsNotEnabled() {
    ImageLoader noS3 = new ImageLoader(ImageLimits.defaults(), FetchPolicy.defaults(), executor);

    ImageRejectedException e = rejected(noS3.load(byUri("s3://" + bucket + "/a.png"), 0));

    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).contains("input.s3.allowed.buckets");
  }
}
