package io.editstream.processor.blob;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.hash.Hashing;
import io.editstream.processor.image.ImageType;
import io.editstream.processor.image.ObjectSource;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * A {@link BlobStore} in an S3 bucket (AWS S3 or an S3-compatible store: MinIO, R2, Ceph, GCS's XML
 * API), readable from every host: objects {@code <prefix><sha256>.<ext>}, URIs {@code
 * s3://bucket/key}. A put asks whether the object exists first and writes only when it does not,
 * with a Content-MD5 the store checks. Throttling, server errors and connection failures are
 * retried by the AWS SDK (standard mode: 3 attempts, exponential backoff with jitter); what still
 * fails is thrown as {@link BlobStoreException}. With a presign TTL, {@link #presign(URI)} hands
 * out GET URLs signed for that long, re-signed once half of it has passed.
 */
public final class S3BlobStore implements BlobStore, AutoCloseable {

  /** SigV4's limit on a presigned URL's lifetime. */
  public static final Duration MAX_PRESIGN_TTL = Duration.ofDays(7);

  private static final Pattern BLOB_NAME = Pattern.compile("[0-9a-f]{64}\\.[a-z0-9]+");

  private final String bucket;
  private final String prefix;
  private final String where;
  private final S3Client client;
  private final S3Presigner presigner;
  private final AwsCredentialsProvider credentials;
  private final Duration presignTtl;
  private final Cache<String, PresignedUrl> presigned;

  private S3BlobStore(Builder b) {
    this.bucket = b.bucket;
    this.prefix = b.prefix;
    this.where = b.endpoint != null ? b.endpoint.toString() : "AWS S3 (" + b.region + ")";
    this.presignTtl = b.presignTtl;
    this.credentials =
        b.accessKey != null
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create(b.accessKey, b.secretKey))
            : DefaultCredentialsProvider.builder().build();
    S3Configuration s3 = S3Configuration.builder().pathStyleAccessEnabled(b.pathStyle).build();
    var client =
        S3Client.builder()
            .region(Region.of(b.region))
            .credentialsProvider(credentials)
            .serviceConfiguration(s3)
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(60))
                    .build())
            // Many S3-compatible stores refuse the SDK's default aws-chunked uploads with trailing
            // CRC checksums; puts carry a Content-MD5 instead.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(
                o ->
                    o.retryStrategy(AwsRetryStrategy.standardRetryStrategy())
                        .apiCallAttemptTimeout(Duration.ofSeconds(60))
                        .apiCallTimeout(Duration.ofMinutes(3)));
    if (b.endpoint != null) {
      client.endpointOverride(b.endpoint);
    }
    this.client = client.build();
    if (presignTtl.isZero()) {
      this.presigner = null;
      this.presigned = null;
    } else {
      var presigner =
          S3Presigner.builder()
              .region(Region.of(b.region))
              .credentialsProvider(credentials)
              .serviceConfiguration(s3);
      if (b.endpoint != null) {
        presigner.endpointOverride(b.endpoint);
      }
      this.presigner = presigner.build();
      // A URL handed out is good for at least half the TTL.
      this.presigned =
          Caffeine.newBuilder()
              .maximumSize(10_000)
              .expireAfterWrite(presignTtl.dividedBy(2))
              .build();
    }
  }

  /** A store in {@code bucket}; see {@link Builder} for the rest. */
  public static Builder builder(String bucket, String region) {
    return new Builder(bucket, region);
  }

  /** Where the objects go, and how to reach and sign for the store. */
  public static final class Builder {
    private final String bucket;
    private final String region;
    private String prefix = "";
    private URI endpoint;
    private boolean pathStyle;
    private String accessKey;
    private String secretKey;
    private Duration presignTtl = Duration.ZERO;

    private Builder(String bucket, String region) {
      this.bucket = Objects.requireNonNull(bucket, "bucket");
      this.region = Objects.requireNonNull(region, "region");
    }

    /** Key prefix of every object, e.g. {@code "editstream/"}; empty by default. */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** The store's endpoint, for S3-compatible stores; AWS S3 when unset. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /** Address the bucket in the path ({@code endpoint/bucket/key}) instead of the host name. */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** Static credentials; without them the AWS SDK's default credentials chain is used. */
    public Builder credentials(String accessKey, String secretKey) {
      if ((accessKey == null) != (secretKey == null)) {
        throw new IllegalArgumentException("give both the access key and the secret key, or none");
      }
      this.accessKey = accessKey;
      this.secretKey = secretKey;
      return this;
    }

    /** Lifetime of presigned URLs; zero (the default) hands out none. */
    public Builder presignTtl(Duration ttl) {
      if (ttl.isNegative() || ttl.compareTo(MAX_PRESIGN_TTL) > 0) {
        throw new IllegalArgumentException("presign TTL must be 0.." + MAX_PRESIGN_TTL);
      }
      this.presignTtl = ttl;
      return this;
    }

    /** Builds the clients; no request is made ({@link #checkAccess()} makes one). */
    public S3BlobStore build() {
      return new S3BlobStore(this);
    }
  }

  /** Reads input objects ({@code s3://} images of any allowed bucket) with this store's client. */
  public ObjectSource objectSource() {
    return new S3ObjectSource(client);
  }

  public String bucket() {
    return bucket;
  }

  /**
   * Checks that credentials are at hand and that the bucket exists and answers them (a HEAD on the
   * bucket).
   *
   * @throws BlobStoreException naming the reason: {@link BlobStoreException.Reason#NO_CREDENTIALS},
   *     {@link BlobStoreException.Reason#NO_SUCH_BUCKET}, {@link
   *     BlobStoreException.Reason#ACCESS_DENIED} or {@link BlobStoreException.Reason#UNAVAILABLE}
   */
  public void checkAccess() {
    try {
      credentials.resolveCredentials();
    } catch (SdkException e) {
      throw new BlobStoreException(
          BlobStoreException.Reason.NO_CREDENTIALS,
          "no credentials for the S3 store: " + e.getMessage(),
          e);
    }
    try {
      client.headBucket(r -> r.bucket(bucket));
    } catch (SdkException e) {
      throw failure("checking bucket " + bucket, e);
    }
  }

  @Override
  public BlobRef put(byte[] bytes, String mimeType) {
    Objects.requireNonNull(bytes, "bytes");
    if (mimeType == null || mimeType.isBlank()) {
      throw new IllegalArgumentException("mimeType must not be blank");
    }
    String mime = mimeType.strip().toLowerCase(Locale.ROOT);
    String sha256 = Hashing.sha256().hashBytes(bytes).toString();
    String extension = ImageType.fromMimeType(mime).map(ImageType::extension).orElse("bin");
    String key = prefix + sha256 + "." + extension;
    BlobRef ref = new BlobRef(uriOf(key), sha256, mime, bytes.length);
    try {
      if (sizeOf(key).filter(size -> size == bytes.length).isPresent()) {
        return ref; // content-addressed: same key, same bytes
      }
      @SuppressWarnings("deprecation") // MD5 is what Content-MD5 is; SHA-256 names the object
      String md5 = Base64.getEncoder().encodeToString(Hashing.md5().hashBytes(bytes).asBytes());
      client.putObject(
          r ->
              r.bucket(bucket)
                  .key(key)
                  .contentType(mime)
                  .contentLength((long) bytes.length)
                  .contentMD5(md5),
          RequestBody.fromBytes(bytes));
      return ref;
    } catch (SdkException e) {
      throw failure("storing blob " + sha256, e);
    }
  }

  @Override
  public byte[] get(URI uri) {
    String key =
        keyOf(uri)
            .orElseThrow(() -> new IllegalArgumentException("not a blob of this store: " + uri));
    try {
      return client.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    } catch (NoSuchKeyException e) {
      throw new UncheckedIOException(
          "reading blob " + uri + " failed", new NoSuchFileException(uri.toString()));
    } catch (SdkException e) {
      throw failure("reading blob " + uri, e);
    }
  }

  @Override
  public boolean exists(URI uri) {
    Optional<String> key = keyOf(uri);
    if (key.isEmpty()) {
      return false;
    }
    try {
      return sizeOf(key.get()).isPresent();
    } catch (SdkException e) {
      throw failure("looking up blob " + uri, e);
    }
  }

  @Override
  public Optional<PresignedUrl> presign(URI uri) {
    if (presigner == null) {
      return Optional.empty();
    }
    return keyOf(uri).map(key -> presigned.get(key, this::sign));
  }

  private PresignedUrl sign(String key) {
    PresignedGetObjectRequest request =
        presigner.presignGetObject(
            r -> r.signatureDuration(presignTtl).getObjectRequest(g -> g.bucket(bucket).key(key)));
    try {
      return new PresignedUrl(request.url().toURI(), request.expiration());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("the SDK signed an invalid URL for " + key, e);
    }
  }

  /** The object's length, or empty when it does not exist. */
  private Optional<Long> sizeOf(String key) {
    try {
      return Optional.of(client.headObject(r -> r.bucket(bucket).key(key)).contentLength());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  private URI uriOf(String key) {
    return URI.create("s3://" + bucket + "/" + key);
  }

  /** The key of a blob this store writes, or empty for any other URI. */
  private Optional<String> keyOf(URI uri) {
    if (uri == null
        || !"s3".equalsIgnoreCase(uri.getScheme())
        || !bucket.equals(uri.getAuthority())
        || uri.getRawPath() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      return Optional.empty();
    }
    String key = uri.getRawPath().substring(1);
    return key.startsWith(prefix) && BLOB_NAME.matcher(key.substring(prefix.length())).matches()
        ? Optional.of(key)
        : Optional.empty();
  }

  private BlobStoreException failure(String action, SdkException e) {
    BlobStoreException.Reason reason = BlobStoreException.Reason.UNAVAILABLE;
    String detail = e.getClass().getSimpleName();
    if (e instanceof S3Exception s3) {
      String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
      detail = "HTTP " + s3.statusCode() + (code == null ? "" : " " + code);
      if (e instanceof NoSuchBucketException || "NoSuchBucket".equals(code)) {
        reason = BlobStoreException.Reason.NO_SUCH_BUCKET;
      } else if (s3.statusCode() == 403 || s3.statusCode() == 401) {
        reason = BlobStoreException.Reason.ACCESS_DENIED;
      }
    }
    return new BlobStoreException(
        reason,
        action
            + " in bucket "
            + bucket
            + " at "
            + where
            + " failed ("
            + detail
            + "): "
            + e.getMessage(),
        e);
  }

  @Override
  public void close() {
    client.close();
    if (presigner != null) {
      presigner.close();
    }
    if (credentials instanceof SdkAutoCloseable closeable) {
      closeable.close();
    }
  }
}
