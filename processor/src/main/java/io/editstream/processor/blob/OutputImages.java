package io.editstream.processor.blob;

import io.editstream.processor.image.EncodedImage;
import io.editstream.schema.OutputImage;
import java.nio.ByteBuffer;
import java.util.Objects;

/** Publishes finished images: stores them in a {@link BlobStore} and describes them for results. */
public final class OutputImages {

  private OutputImages() {}

  /**
   * Stores {@code image} and returns its {@link OutputImage}: blob URI, SHA-256, MIME type,
   * dimensions, size, and the bytes inline when they are at most {@code maxInlineBytes} long (0
   * never inlines).
   */
  public static OutputImage publish(BlobStore store, EncodedImage image, int maxInlineBytes) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(image, "image");
    BlobRef ref = store.put(image.bytes(), image.mimeType());
    boolean inline = image.bytes().length <= maxInlineBytes;
    return OutputImage.newBuilder()
        .setUri(ref.uri().toString())
        .setSha256(ref.sha256())
        .setMimeType(ref.mimeType())
        .setWidth(image.width())
        .setHeight(image.height())
        .setSizeBytes(ref.sizeBytes())
        .setData(inline ? ByteBuffer.wrap(image.bytes()) : null)
        .build();
  }
}
