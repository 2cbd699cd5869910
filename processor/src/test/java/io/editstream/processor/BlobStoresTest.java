package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.blob.LocalBlobStore;
import io.editstream.processor.blob.S3BlobStore;
import io.editstream.processor.config.ConfigException;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Start-up of the blob stores: a bad bucket or refused credentials name the setting to fix. */
@ExtendWith(RealInfra.class)
class BlobStoresTest {

  private static Map<String, String> s3(S3Server s3, String bucket) {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    m.putAll(s3.blobSettings(bucket));
    return m;
  }

  private static ProcessorConfig.Blob blob(Map<String, String> values) {
    return ProcessorConfig.from(Settings.of(values)).blob();
  }

  private static String bucket() {
    return TestTopics.unique("startup").toLowerCase(Locale.ROOT);
  }

  @Test
  void shouldOpenTheLocalDirectoryByDefault(@TempDir Path dir) {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    m.put("blob.dir", dir.toString());

    try (BlobStores stores = BlobStores.open(blob(m))) {
      assertThat(stores.images()).isInstanceOf(LocalBlobStore.class);
      assertThat(((LocalBlobStore) stores.deadLetters()).root().getFileName()).hasToString("dlq");
    }
  }

  @Test
  void shouldOpenAnExistingBucketAndSpillDeadLettersUnderDlq(S3Server s3) {
    String bucket = bucket();
    s3.createBucket(bucket);
    Map<String, String> m = s3(s3, bucket);
    m.put("blob.s3.prefix", "run/");

    try (BlobStores stores = BlobStores.open(blob(m))) {
      assertThat(stores.images()).isInstanceOf(S3BlobStore.class);
      assertThat(stores.images().put(new byte[] {1}, "image/png").uri().getPath())
          .startsWith("/run/")
          .doesNotContain("dlq");
      assertThat(stores.deadLetters().put(new byte[] {2}, "application/octet-stream").uri())
          .hasToString(
              "s3://"
                  + bucket
                  + "/run/dlq/"
                  + com.google.common.hash.Hashing.sha256().hashBytes(new byte[] {2})
                  + ".bin");
    }
  }

  @Test
  void shouldStopWithTheBucketSettingWhenTheBucketIsMissing(S3Server s3) {
    String bucket = bucket();

    assertThatThrownBy(() -> BlobStores.open(blob(s3(s3, bucket))))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.setting()).isEqualTo("blob.s3.bucket"))
        .hasMessageStartingWith("blob.s3.bucket: ")
        .hasMessageContaining("'" + bucket + "' does not exist");
  }

  @Test
  void shouldStopWithTheCredentialSettingsWhenAccessIsDenied(S3Server s3) {
    String bucket = bucket();
    s3.createBucket(bucket);
    Map<String, String> m = s3(s3, bucket);
    m.put("blob.s3.secret.key", "wrong-secret-CANARY");

    assertThatThrownBy(() -> BlobStores.open(blob(m)))
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.setting()).isEqualTo("blob.s3.access.key"))
        .hasMessageContaining("blob.s3.access.key and blob.s3.secret.key")
        .hasMessageContaining("denied")
        .hasMessageNotContaining("wrong-secret-CANARY");
  }
}
