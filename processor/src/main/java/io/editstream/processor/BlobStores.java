package io.editstream.processor;

import io.editstream.processor.blob.BlobStore;
import io.editstream.processor.blob.BlobStoreException;
import io.editstream.processor.blob.LocalBlobRetention;
import io.editstream.processor.blob.LocalBlobStore;
import io.editstream.processor.blob.S3BlobStore;
import io.editstream.processor.config.ConfigException;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.image.ObjectSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * The blob stores of one processor, from the {@code blob.*} settings: one for finished images, one
 * for undecodable records too large for the DLQ topic. An S3 store is checked at start-up: a
 * missing bucket or refused credentials stop the processor with a {@link ConfigException} naming
 * the setting to fix.
 */
final class BlobStores implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlobStores.class);

  /** S3-compatible stores mostly ignore the region, but requests must be signed for one. */
  static final String ENDPOINT_DEFAULT_REGION = "us-east-1";

  private final BlobStore images;
  private final BlobStore deadLetters;
  private final List<AutoCloseable> resources;

  private BlobStores(BlobStore images, BlobStore deadLetters, List<AutoCloseable> resources) {
    this.images = images;
    this.deadLetters = deadLetters;
    this.resources = resources;
  }

  static BlobStores open(ProcessorConfig.Blob config) {
    if (config.s3() == null) {
      LocalBlobStore images = new LocalBlobStore(config.dir());
      List<AutoCloseable> resources =
          config.retention().isZero()
              ? List.of()
              : List.of(sweeper(new LocalBlobRetention(images, config.retention()), config));
      return new BlobStores(images, new LocalBlobStore(config.dir().resolve("dlq")), resources);
    }
    ProcessorConfig.S3 s3 = config.s3();
    String region = region(s3);
    S3BlobStore images = s3(s3, region, s3.prefix());
    List<AutoCloseable> resources = new ArrayList<>(List.of(images));
    try {
      check(images, s3);
      S3BlobStore deadLetters = s3(s3, region, s3.prefix() + "dlq/");
      resources.add(deadLetters);
      log.info(
          "Blob store: bucket {} at {} (prefix '{}', region {}, {})",
          s3.bucket(),
          s3.endpoint() == null ? "AWS S3" : s3.endpoint(),
          s3.prefix(),
          region,
          s3.presignTtl().isZero()
              ? "no presigned URLs"
              : "presigned URLs valid for " + s3.presignTtl());
      return new BlobStores(images, deadLetters, resources);
    } catch (RuntimeException e) {
      images.close();
      throw e;
    }
  }

  /** Sweeps the local store hourly (or ten times per retention when that is shorter). */
  private static AutoCloseable sweeper(LocalBlobRetention retention, ProcessorConfig.Blob config) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "editstream-blob-retention");
              t.setDaemon(true);
              return t;
            });
    long everyMs = Math.max(1_000, Math.min(3_600_000, config.retention().toMillis() / 10));
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            LocalBlobRetention.Sweep sweep = retention.sweep(Clock.systemUTC().instant());
            if (sweep.deleted() > 0) {
              log.info(
                  "Blob retention ({}): deleted {} finished images ({} bytes) in {}, kept {}",
                  config.retention(),
                  sweep.deleted(),
                  sweep.bytesFreed(),
                  config.dir(),
                  sweep.kept());
            }
          } catch (RuntimeException e) {
            log.warn("Blob retention sweep of {} failed: {}", config.dir(), e.toString());
          }
        },
        Math.min(everyMs, 60_000),
        everyMs,
        TimeUnit.MILLISECONDS);
    log.info(
        "Blob store: {} (finished images kept {} after their last write)",
        config.dir(),
        config.retention());
    return timer::shutdownNow;
  }

  private static S3BlobStore s3(ProcessorConfig.S3 s3, String region, String prefix) {
    return S3BlobStore.builder(s3.bucket(), region)
        .prefix(prefix)
        .endpoint(s3.endpoint())
        .pathStyle(s3.pathStyle())
        .credentials(s3.accessKey(), s3.secretKey())
        .presignTtl(s3.presignTtl())
        .build();
  }

  private static String region(ProcessorConfig.S3 s3) {
    if (s3.region() != null) {
      return s3.region();
    }
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
    } catch (SdkClientException e) {
      if (s3.endpoint() != null) {
        return ENDPOINT_DEFAULT_REGION;
      }
      throw new ConfigException(
          "blob.s3.region",
          "is required: the AWS SDK found no region (AWS_REGION, ~/.aws/config) for bucket "
              + s3.bucket());
    }
  }

  /** A HEAD on the bucket; what the operator must fix is named by its setting. */
  private static void check(S3BlobStore store, ProcessorConfig.S3 s3) {
    try {
      store.checkAccess();
    } catch (BlobStoreException e) {
      String where = s3.endpoint() == null ? "AWS S3" : s3.endpoint().toString();
      String credentials =
          s3.accessKey() != null
              ? "blob.s3.access.key and blob.s3.secret.key"
              : "the credentials the AWS SDK found (blob.s3.access.key and blob.s3.secret.key are"
                  + " unset)";
      switch (e.reason()) {
        case NO_SUCH_BUCKET ->
            throw new ConfigException(
                "blob.s3.bucket",
                "bucket '" + s3.bucket() + "' does not exist at " + where + "; create it first");
        case ACCESS_DENIED ->
            throw new ConfigException(
                "blob.s3.access.key",
                "access to bucket '"
                    + s3.bucket()
                    + "' at "
                    + where
                    + " was denied; check "
                    + credentials
                    + ", and that they may read and write the bucket ("
                    + e.getMessage()
                    + ")");
        case NO_CREDENTIALS ->
            throw new ConfigException(
                "blob.s3.access.key",
                "no credentials for bucket '"
                    + s3.bucket()
                    + "': set blob.s3.access.key and blob.s3.secret.key, or give the AWS SDK's"
                    + " default chain some (AWS_ACCESS_KEY_ID, a profile, a container or instance"
                    + " role)");
        default ->
            throw new IllegalStateException(
                "the S3 blob store at "
                    + where
                    + " (blob.s3.endpoint) cannot be reached: "
                    + e.getMessage(),
                e);
      }
    }
  }

  /** Where finished images go. */
  BlobStore images() {
    return images;
  }

  /** Where undecodable records too large for the DLQ topic go. */
  BlobStore deadLetters() {
    return deadLetters;
  }

  /** Reads {@code s3://} input images with the S3 store's connection; none for a local store. */
  ObjectSource inputObjects() {
    return images instanceof S3BlobStore s3 ? s3.objectSource() : ObjectSource.NONE;
  }

  @Override
  public void close() {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("Could not close a blob store", e);
      }
    }
  }
}
