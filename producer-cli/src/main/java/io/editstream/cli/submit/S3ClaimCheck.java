package io.editstream.cli.submit;

import io.editstream.cli.blob.S3Location;
import java.io.IOException;
import java.net.URI;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The claim check on an S3-compatible object store: large images are uploaded once to {@code
 * s3://bucket/prefix/<sha256>.<ext>} (an object already there with the same size is not sent again)
 * and jobs carry that {@code s3://} URI. The processor reads it with its own credentials, provided
 * the bucket is on its {@code input.s3.allowed.buckets}.
 */
final class S3ClaimCheck implements ClaimCheck {
  private final S3Client s3;
  private final S3Location prefix;

  S3ClaimCheck(S3Client s3, S3Location prefix) {
    this.s3 = s3;
    this.prefix = prefix;
  }

  @Override
  public URI store(PlannedImage.LocalFile image) throws IOException {
    S3Location target = location(image);
    try {
      try {
        long size = s3.headObject(b -> b.bucket(target.bucket()).key(target.key())).contentLength();
        if (size == image.sizeBytes()) {
          return target.uri(); // content-addressed: same name, same bytes
        }
      } catch (NoSuchKeyException e) {
        // not there yet
      } catch (S3Exception e) {
        if (e.statusCode() != 404) {
          throw e;
        }
      }
      s3.putObject(
          b ->
              b.bucket(target.bucket())
                  .key(target.key())
                  .contentType(image.type().mimeType())
                  .contentLength(image.sizeBytes()),
          RequestBody.fromFile(image.path()));
      return target.uri();
    } catch (SdkException e) {
      throw new IOException("upload to " + target + " failed: " + e.getMessage() + hint(e), e);
    }
  }

  private static String hint(SdkException e) {
    if (e instanceof S3Exception s) {
      return switch (s.statusCode()) {
        case 403 ->
            " (check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)";
        case 404 -> " (does the bucket exist? check --blob-s3 and --s3-endpoint)";
        default -> "";
      };
    }
    return " (check --s3-endpoint and the network)";
  }

  @Override
  public URI uriOf(PlannedImage.LocalFile image) {
    return location(image).uri();
  }

  private S3Location location(PlannedImage.LocalFile image) {
    return prefix.child(image.sha256() + "." + ClaimCheck.extension(image.type()));
  }

  @Override
  public String where() {
    return prefix.toString();
  }
}
