package io.editstream.demo;

import io.editstream.cli.blob.BlobReader;
import io.editstream.cli.listen.ImageFiles;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Reads the finished images of results the way a consumer on another host would: the inline bytes
 * when the result carries them, else the presigned URL (plain HTTP, no credentials), else the
 * image's URI ({@code s3://} with the store's credentials, {@code file:} from the processor's blob
 * directory). Every image is checked against its SHA-256, and each read is counted by how it was
 * made, for the summary. Not thread-safe.
 */
final class FinishedImages implements AutoCloseable {
  static final String INLINE = "inline";
  static final String PRESIGNED_URL = "presigned URL";

  private final BlobReader blobs;
  private final Map<String, Integer> reads = new TreeMap<>();

  /**
   * @param s3 a client for {@code s3://} URIs, made on first use and closed with this reader
   */
  FinishedImages(Supplier<S3Client> s3) {
    this.blobs = new BlobReader(s3);
  }

  /**
   * The result with every image's bytes inline, read and checked, so it can be written without
   * further I/O.
   *
   * @throws IOException when an image cannot be read or does not match its SHA-256
   */
  EditResult fetch(EditResult result) throws IOException {
    List<OutputImage> images = new ArrayList<>();
    for (OutputImage image : result.getImages()) {
      String source;
      OutputImage withBytes = image;
      if (image.getData() != null) {
        source = INLINE;
      } else if (image.getPresignedUrl() != null) {
        source = PRESIGNED_URL;
        withBytes = withData(image, blobs.read(image.getPresignedUrl()));
      } else {
        String uri = image.getUri();
        source = uri.substring(0, Math.max(0, uri.indexOf(':'))) + " URI";
        withBytes = withData(image, blobs.read(uri));
      }
      // Checks the bytes against the result's SHA-256, whichever way they came.
      ImageFiles.bytes(withBytes, blobs);
      reads.merge(source, 1, Integer::sum);
      images.add(withBytes);
    }
    return EditResult.newBuilder(result).setImages(images).build();
  }

  /** The reader behind this, for writers that take one (every image it hands out is inline). */
  BlobReader reader() {
    return blobs;
  }

  /** Images read so far, by how: "inline", "presigned URL", "s3 URI", "file URI". */
  Map<String, Integer> reads() {
    return Collections.unmodifiableMap(reads);
  }

  private static OutputImage withData(OutputImage image, byte[] bytes) {
    return OutputImage.newBuilder(image).setData(ByteBuffer.wrap(bytes)).build();
  }

  @Override
  public void close() {
    blobs.close();
  }
}
