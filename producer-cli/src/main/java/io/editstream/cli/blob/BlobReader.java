package io.editstream.cli.blob;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Reads a finished image wherever the processor put it: a presigned HTTPS URL (no credentials
 * needed), an {@code s3://} object (with the CLI's S3 options and the SDK's credentials), or a
 * {@code file:} path (only when the processor's blob directory is shared with this machine). The S3
 * client is made on first use and closed with the reader.
 */
public final class BlobReader implements AutoCloseable {
  private final Supplier<S3Client> s3Factory;
  private final HttpClient http;
  private S3Client s3;

  public BlobReader(Supplier<S3Client> s3Factory) {
    this.s3Factory = s3Factory;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  /**
   * The bytes at {@code uri}.
   *
   * @throws IOException saying what could not be read and which option helps
   */
  public byte[] read(String uri) throws IOException {
    URI u;
    try {
      u = URI.create(uri);
    } catch (IllegalArgumentException e) {
      throw new IOException("bad image URI " + uri);
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    return switch (scheme) {
      case "https", "http" -> download(u);
      case "s3" -> s3(S3Location.parse(uri));
      case "file" -> file(Path.of(u));
      default -> throw new IOException("cannot read " + uri + " (scheme '" + scheme + "')");
    };
  }

  private byte[] download(URI u) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(u).timeout(Duration.ofMinutes(2)).GET().build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while downloading an image", e);
    }
    if (response.statusCode() != 200) {
      // The query of a presigned URL is a credential: never print it.
      throw new IOException(
          "download of "
              + u.getScheme()
              + "://"
              + u.getAuthority()
              + u.getPath()
              + " answered HTTP "
              + response.statusCode()
              + (response.statusCode() == 403
                  ? " (a presigned URL expires: read the s3:// URI with --s3-* options instead)"
                  : ""));
    }
    return response.body();
  }

  private byte[] s3(S3Location location) throws IOException {
    if (s3 == null) {
      s3 = s3Factory.get();
    }
    try {
      return s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(location.key()))
          .asByteArray();
    } catch (SdkException e) {
      throw new IOException(
          "cannot read "
              + location
              + ": "
              + e.getMessage()
              + " (check --s3-endpoint, --s3-region and the AWS credentials)",
          e);
    }
  }

  private static byte[] file(Path path) throws IOException {
    if (!Files.isReadable(path)) {
      throw new IOException(
          "cannot read "
              + path
              + " (is the processor's blob.dir shared with this machine? With blob.store=s3"
              + " results carry s3:// URIs any host can read)");
    }
    return Files.readAllBytes(path);
  }

  @Override
  public void close() {
    if (s3 != null) {
      s3.close();
    }
  }
}
