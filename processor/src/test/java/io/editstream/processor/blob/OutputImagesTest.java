package io.editstream.processor.blob;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.schema.OutputImage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OutputImagesTest {
  private static final Instant EXPIRY = Instant.parse("2026-01-24T12:15:00Z");

  /** A store that signs s3://signing/ URIs and no others. */
  private static final BlobStore SIGNING =
      new BlobStore() {
        @Override
        public BlobRef put(byte[] bytes, String mimeType) {
          throw new UnsupportedOperationException();
        }

        @Override
        public byte[] get(URI uri) {
          throw new UnsupportedOperationException();
        }

        @Override
        public boolean exists(URI uri) {
          return true;
        }

        @Override
        public Optional<PresignedUrl> presign(URI uri) {
          return "signing".equals(uri.getAuthority())
              ? Optional.of(new PresignedUrl(URI.create("https://signed" + uri.getPath()), EXPIRY))
              : Optional.empty();
        }
      };

  private static OutputImage image(String uri, String presignedUrl, Instant expiresAt) {
    return new OutputImage(
        uri,
        "ab",
        "image/png",
        1,
        1,
        3L,
        ByteBuffer.wrap(new byte[] {1, 2, 3}),
        presignedUrl,
        expiresAt);
  }

  @Test
  void shouldAddThePresignedUrlAndItsExpiryWithoutChangingTheInput() {
    OutputImage stored = image("s3://signing/a.png", null, null);

    List<OutputImage> published = OutputImages.withPresignedUrls(SIGNING, List.of(stored));

    assertThat(published.get(0).getPresignedUrl()).isEqualTo("https://signed/a.png");
    assertThat(published.get(0).getPresignedUrlExpiresAt()).isEqualTo(EXPIRY);
    assertThat(published.get(0).getData()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(stored.getPresignedUrl()).isNull();
  }

  @Test
  void shouldDropAStaleUrlTheStoreNoLongerSigns() {
    OutputImage stale = image("s3://elsewhere/a.png", "https://old", EXPIRY);

    OutputImage published = OutputImages.withPresignedUrls(SIGNING, List.of(stale)).get(0);

    assertThat(published.getPresignedUrl()).isNull();
    assertThat(published.getPresignedUrlExpiresAt()).isNull();
  }

  @Test
  void shouldLeaveImagesOfAStoreWithoutPresigningAsTheyAre() {
    OutputImage local = image("file:/blobs/a.png", null, null);

    assertThat(OutputImages.withPresignedUrls(SIGNING, List.of(local)).get(0)).isSameAs(local);
  }
}
