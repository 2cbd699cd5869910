package io.editstream.cli.blob;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import java.net.URI;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How the CLI reaches an S3-compatible object store (a picocli mixin): the endpoint for stores
 * other than AWS (MinIO, R2, GCS's XML API, Ceph), the region and path-style access. Credentials
 * come from the AWS SDK's default chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY},
 * {@code AWS_PROFILE}, instance roles), never from an option, so they stay out of shell histories.
 */
public final class S3Options {
  public static final String ENDPOINT_ENV = "EDITSTREAM_S3_ENDPOINT";
  public static final String REGION_ENV = "EDITSTREAM_S3_REGION";
  public static final String PATH_STYLE_ENV = "EDITSTREAM_S3_PATH_STYLE";

  @Option(
      names = "--s3-endpoint",
      paramLabel = "URL",
      description =
          "S3 API endpoint for a store other than AWS S3 (MinIO, R2, GCS, Ceph). Default: $"
              + ENDPOINT_ENV
              + ", else AWS. Credentials: the AWS SDK's default chain (AWS_ACCESS_KEY_ID,"
              + " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...).")
  String endpoint;

  @Option(
      names = "--s3-region",
      paramLabel = "REGION",
      description =
          "Region of the bucket. Default: $"
              + REGION_ENV
              + ", else the SDK's (AWS_REGION, profile), else us-east-1.")
  String region;

  @Option(
      names = "--s3-path-style",
      negatable = true,
      description =
          "Path-style bucket addressing (http://host/bucket/key), which most S3-compatible stores"
              + " need. Default: $"
              + PATH_STYLE_ENV
              + ", else on with --s3-endpoint, off for AWS.")
  Boolean pathStyle;

  /**
   * A client for these options and {@code ctx}'s environment; the caller closes it. Credentials:
   * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} of that environment, else the AWS SDK's
   * default chain (profiles, container and instance roles).
   */
  public S3Client client(CliContext ctx) {
    String ep = endpoint != null ? endpoint : ctx.env(ENDPOINT_ENV);
    String r = region != null ? region : ctx.env(REGION_ENV);
    Boolean ps = pathStyle;
    if (ps == null && ctx.env(PATH_STYLE_ENV) != null) {
      ps = Boolean.parseBoolean(ctx.env(PATH_STYLE_ENV).strip());
    }
    String accessKey = ctx.env("AWS_ACCESS_KEY_ID");
    String secretKey = ctx.env("AWS_SECRET_ACCESS_KEY");
    AwsCredentialsProvider credentials =
        accessKey != null && secretKey != null
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey))
            : DefaultCredentialsProvider.builder().build();
    boolean usePathStyle = ps != null ? ps : (ep != null && !ep.isBlank());
    var builder =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .credentialsProvider(credentials)
            .region(region(r))
            .forcePathStyle(usePathStyle);
    if (ep != null && !ep.isBlank()) {
      // Many S3-compatible stores (S3Proxy, older MinIO, Ceph) reject the SDK's default
      // aws-chunked uploads with trailing CRC checksums: send checksums only where S3 needs them.
      builder
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
      try {
        builder.endpointOverride(URI.create(ep.strip()));
      } catch (IllegalArgumentException e) {
        throw CliFailure.usage("--s3-endpoint " + ep + " is not a URL: " + e.getMessage());
      }
    }
    return builder.build();
  }

  private static Region region(String configured) {
    if (configured != null && !configured.isBlank()) {
      return Region.of(configured.strip());
    }
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      return Region.US_EAST_1; // S3-compatible stores mostly ignore it; AWS redirects
    }
  }
}
