package io.editstream.processor.blob;

import io.editstream.processor.image.EncodedImage;
import io.editstream.schema.OutputImage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * Publishes finished images: stores them in a {@link BlobStore} and describes them for results,
 * with presigned URLs where the store hands them out.
 */
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

  /**
   * The images as a result should carry them now: each with a presigned URL from {@code store} and
   * its expiry when the store offers one for its URI, else with none. Presigned URLs expire, so a
   * result served from the cache gets fresh ones too. The inputs are not changed.
   */
  public static List<OutputImage> withPresignedUrls(BlobStore store, List<OutputImage> images) {
    Objects.requireNonNull(store, "store");
    return images.stream()
        .map(
            image -> {
              var url = store.presign(URI.create(image.getUri()));
              if (url.isEmpty() && image.getPresignedUrl() == null) {
                return image; // nothing to add or take away
              }
              // A shallow copy: the builder would copy the inline bytes too.
              return new OutputImage(
                  image.getUri(),
                  image.getSha256(),
                  image.getMimeType(),
                  image.getWidth(),
                  image.getHeight(),
                  image.getSizeBytes(),
                  image.getData() == null ? null : image.getData().duplicate(),
                  url.map(u -> u.url().toString()).orElse(null),
                  url.map(PresignedUrl::expiresAt).orElse(null));
            })
        .toList();
  }
}
