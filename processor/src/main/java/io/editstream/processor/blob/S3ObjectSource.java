package io.editstream.processor.blob;

import io.editstream.processor.image.ObjectSource;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Input images by {@code s3://} reference, read with the processor's S3 client. An object larger
 * than allowed is not downloaded: its declared length is checked first, and at most one byte more
 * than the limit is ever read.
 */
public final class S3ObjectSource implements ObjectSource {
  private final S3Client s3;

  public S3ObjectSource(S3Client s3) {
    this.s3 = s3;
  }

  @Override
  public byte[] read(String bucket, String key, long maxBytes) throws IOException {
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(key))) {
      Long length = in.response().contentLength();
      if (length != null && length > maxBytes) {
        in.abort(); // do not drain the body to reuse the connection
        throw new TooLarge(length);
      }
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        in.abort();
        throw new TooLarge(bytes.length);
      }
      return bytes;
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      throw new Missing(e.awsErrorDetails().errorMessage());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new Missing("HTTP 404");
      }
      if (e.statusCode() == 403) {
        throw new Denied("HTTP 403 " + e.awsErrorDetails().errorCode());
      }
      throw new IOException("HTTP " + e.statusCode() + " " + e.awsErrorDetails().errorCode(), e);
    } catch (SdkException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
