package io.editstream.testkit;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * A real S3 REST server for tests, started at most once per JVM and stopped by a JVM shutdown hook.
 *
 * <p>Chosen in this order: the server at {@code EDITSTREAM_S3_ENDPOINT} (with {@code
 * EDITSTREAM_S3_ACCESS_KEY}, {@code EDITSTREAM_S3_SECRET_KEY}, {@code EDITSTREAM_S3_REGION} and
 * {@code EDITSTREAM_S3_PATH_STYLE}, e.g. a MinIO); otherwise S3Proxy 2.6.0 over a local directory
 * as a child process on 127.0.0.1, with AWS signature v2/v4 checked against a test identity.
 * Buckets are shared by every test in the JVM: use unique bucket names ({@link
 * TestTopics#unique(String)} lower-cased).
 */
public final class S3Server {
  private static final Logger log = LoggerFactory.getLogger(S3Server.class);

  static final String ENDPOINT_ENV = "EDITSTREAM_S3_ENDPOINT";
  static final String ACCESS_KEY_ENV = "EDITSTREAM_S3_ACCESS_KEY";
  static final String SECRET_KEY_ENV = "EDITSTREAM_S3_SECRET_KEY";
  static final String REGION_ENV = "EDITSTREAM_S3_REGION";
  static final String PATH_STYLE_ENV = "EDITSTREAM_S3_PATH_STYLE";
  static final String LOCAL_ACCESS_KEY = "editstream-test-access";
  static final String LOCAL_SECRET_KEY = "editstream-test-secret-0123456789";
  static final String DEFAULT_REGION = "us-east-1";

  private static S3Server shared;
  private static RuntimeException startFailure;

  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;
  private final String region;
  private final boolean pathStyle;
  private final String description;
  private final S3ProxyProcess local;
  private final S3Client client;

  private S3Server(
      URI endpoint,
      String accessKey,
      String secretKey,
      String region,
      boolean pathStyle,
      String description,
      S3ProxyProcess local) {
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.region = region;
    this.pathStyle = pathStyle;
    this.description = description;
    this.local = local;
    this.client =
        S3Client.builder()
            .endpointOverride(endpoint)
            .region(Region.of(region))
            .forcePathStyle(pathStyle)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
            .httpClient(UrlConnectionHttpClient.builder().build())
            // S3Proxy, like many S3-compatible stores, rejects the SDK's default aws-chunked
            // uploads with trailing CRC checksums.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .build();
  }

  /**
   * The JVM's S3 server, started on first use. If starting fails, this and every later call throw
   * {@link IllegalStateException} with the cause, without trying again.
   */
  public static synchronized S3Server shared() {
    if (shared != null) {
      return shared;
    }
    if (startFailure != null) {
      throw new IllegalStateException(
          "The shared S3 server failed to start earlier in this JVM: " + startFailure.getMessage(),
          startFailure);
    }
    try {
      shared = launch();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      startFailure =
          new IllegalStateException("Could not start an S3 server for tests: " + e.getMessage(), e);
      throw startFailure;
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(shared::close, "editstream-testkit-s3-shutdown"));
    return shared;
  }

  private static S3Server launch() throws Exception {
    long begin = System.nanoTime();
    String external = Settings.get(ENDPOINT_ENV);
    String region = Objects.requireNonNullElse(Settings.get(REGION_ENV), DEFAULT_REGION);
    S3Server server;
    if (external != null) {
      server =
          new S3Server(
              URI.create(external),
              Objects.requireNonNull(
                  Settings.get(ACCESS_KEY_ENV),
                  ACCESS_KEY_ENV + " is required with " + ENDPOINT_ENV),
              Objects.requireNonNull(
                  Settings.get(SECRET_KEY_ENV),
                  SECRET_KEY_ENV + " is required with " + ENDPOINT_ENV),
              region,
              !"false".equalsIgnoreCase(Settings.get(PATH_STYLE_ENV)),
              "external (" + ENDPOINT_ENV + ")",
              null);
    } else {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      S3ProxyProcess s3proxy = S3ProxyProcess.launch(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, http);
      server =
          new S3Server(
              URI.create(s3proxy.baseUrl()),
              LOCAL_ACCESS_KEY,
              LOCAL_SECRET_KEY,
              region,
              true,
              "S3Proxy 2.6.0 process (log " + s3proxy.logFile() + ")",
              s3proxy);
    }
    log.info(
        "S3 server for tests: {} at {} (ready in {} ms)",
        server.description,
        server.endpoint,
        (System.nanoTime() - begin) / 1_000_000);
    return server;
  }

  /**
   * The processor settings of an S3 blob store in {@code bucket} on this server: {@code
   * blob.store=s3}, the bucket, endpoint, path style, region and credentials. Callers add the rest
   * ({@code blob.s3.prefix}, {@code blob.s3.presign.ttl}, ...).
   */
  public java.util.Map<String, String> blobSettings(String bucket) {
    java.util.Map<String, String> s = new java.util.TreeMap<>();
    s.put("blob.store", "s3");
    s.put("blob.s3.bucket", bucket);
    s.put("blob.s3.endpoint", endpoint().toString());
    s.put("blob.s3.path.style", Boolean.toString(pathStyle()));
    s.put("blob.s3.region", region());
    s.put("blob.s3.access.key", accessKey());
    s.put("blob.s3.secret.key", secretKey());
    return s;
  }

  /** Base URL of the S3 API, e.g. {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return endpoint;
  }

  /** The access key id the server accepts. */
  public String accessKey() {
    return accessKey;
  }

  /** The secret access key the server accepts. */
  public String secretKey() {
    return secretKey;
  }

  /** The region to sign requests for. */
  public String region() {
    return region;
  }

  /** Whether buckets are addressed in the path ({@code endpoint/bucket/key}); S3Proxy needs it. */
  public boolean pathStyle() {
    return pathStyle;
  }

  /** Which server this is; never holds secrets. */
  public String description() {
    return description;
  }

  /** A client of this server with its credentials; shared, do not close it. */
  public S3Client client() {
    return client;
  }

  /** Creates a bucket; one that exists already is fine. */
  public void createBucket(String name) {
    try {
      client.createBucket(b -> b.bucket(name));
    } catch (BucketAlreadyOwnedByYouException e) {
      // already there: what the caller wanted
    }
  }

  /** Whether {@link #stop()} and {@link #start()} work: only on the S3Proxy process. */
  public boolean supportsRestart() {
    return local != null;
  }

  /**
   * Stops the server, keeping its port and objects; clients see connection failures until {@link
   * #start()}. Affects every test in this JVM.
   *
   * @throws UnsupportedOperationException unless {@link #supportsRestart()}
   */
  public void stop() {
    long begin = System.nanoTime();
    requireRestartable().stop();
    log.info("Stopped S3Proxy in {} ms", (System.nanoTime() - begin) / 1_000_000);
  }

  /**
   * Starts the server stopped by {@link #stop()} on the same port with the same objects, and waits
   * until it answers.
   *
   * @throws UnsupportedOperationException unless {@link #supportsRestart()}
   */
  public void start() {
    S3ProxyProcess s3proxy = requireRestartable();
    long begin = System.nanoTime();
    try {
      s3proxy.start();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting S3Proxy", e);
    } catch (Exception e) {
      throw new IllegalStateException("Could not start S3Proxy again: " + e.getMessage(), e);
    }
    log.info("Started S3Proxy again in {} ms", (System.nanoTime() - begin) / 1_000_000);
  }

  /** Whether the server answers requests now (an external one always counts as running). */
  public boolean running() {
    return local == null || local.running();
  }

  private S3ProxyProcess requireRestartable() {
    if (local == null) {
      throw new UnsupportedOperationException(
          "Only the S3Proxy process can be stopped and started; this one is " + description);
    }
    return local;
  }

  private void close() {
    long begin = System.nanoTime();
    try {
      client.close();
      if (local != null) {
        local.close();
      }
      log.info(
          "Stopped S3 server ({}) in {} ms", description, (System.nanoTime() - begin) / 1_000_000);
    } catch (RuntimeException e) {
      log.warn("Failed to stop S3 server ({})", description, e);
    }
  }
}
