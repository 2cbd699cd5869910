package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.hash.Hashing;
import io.editstream.cli.TestImages;
import io.editstream.cli.blob.BlobReader;
import io.editstream.cli.blob.S3Location;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 claim check and the CLI's blob reader against a real S3 server (S3Proxy). */
class S3ClaimCheckTest {
  private final S3Server s3 = S3Server.shared();

  private String bucket() {
    String name =
        TestTopics.unique("cli").toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    s3.createBucket(name);
    return name;
  }

  private static PlannedImage.LocalFile file(Path path, ImageType type) throws IOException {
    byte[] bytes = Files.readAllBytes(path);
    return new PlannedImage.LocalFile(
        path, type, bytes.length, Hashing.sha256().hashBytes(bytes).toString(), false);
  }

  @Test
  void shouldUploadOnceUnderTheContentAddressAndReadItBack(@TempDir Path dir) throws Exception {
    String bucket = bucket();
    Path png = TestImages.copy(TestImages.PNG, dir);
    PlannedImage.LocalFile image = file(png, ImageType.PNG);
    ClaimCheck check = new S3ClaimCheck(s3.client(), S3Location.parse("s3://" + bucket + "/in/"));

    var uri = check.store(image);
    Instant written =
        s3.client()
            .headObject(b -> b.bucket(bucket).key("in/" + image.sha256() + ".png"))
            .lastModified();
    var again = check.store(image);

    assertThat(uri.toString()).isEqualTo("s3://" + bucket + "/in/" + image.sha256() + ".png");
    assertThat(again).isEqualTo(uri).isEqualTo(check.uriOf(image));
    assertThat(
            s3.client()
                .headObject(b -> b.bucket(bucket).key("in/" + image.sha256() + ".png"))
                .lastModified())
        .as("the second store sends nothing")
        .isEqualTo(written);
    try (BlobReader reader = new BlobReader(s3::client)) {
      assertThat(reader.read(uri.toString())).isEqualTo(Files.readAllBytes(png));
    }
  }

  @Test
  void shouldNameTheBucketAndTheOptionsWhenTheBucketIsMissing(@TempDir Path dir) throws Exception {
    PlannedImage.LocalFile image = file(TestImages.copy(TestImages.JPEG, dir), ImageType.JPEG);
    ClaimCheck check =
        new S3ClaimCheck(s3.client(), S3Location.parse("s3://no-such-bucket-e1/in/"));

    assertThatThrownBy(() -> check.store(image))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("s3://no-such-bucket-e1/in/")
        .hasMessageContaining("--blob-s3");
  }

  @Test
  void shouldSayWhichOptionsHelpWhenAnObjectCannotBeRead() {
    String bucket = bucket();
    try (BlobReader reader = new BlobReader(s3::client)) {
      assertThatThrownBy(() -> reader.read("s3://" + bucket + "/gone.png"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("s3://" + bucket + "/gone.png")
          .hasMessageContaining("--s3-endpoint");
    }
  }

  @Test
  void shouldNeverPrintThePresignedQueryOfAFailedDownload() {
    String bucket = bucket();
    String presigned =
        s3.endpoint()
            + "/"
            + bucket
            + "/gone.png?X-Amz-Signature=deadbeefsecret&X-Amz-Credential=abc";
    try (BlobReader reader = new BlobReader(s3::client)) {
      assertThatThrownBy(() -> reader.read(presigned))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("/gone.png")
          .hasMessageNotContaining("deadbeefsecret");
    }
  }
}
