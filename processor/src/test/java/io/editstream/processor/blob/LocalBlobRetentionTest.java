package io.editstream.processor.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBlobRetentionTest {
  private static final Duration WEEK = Duration.ofDays(7);

  @TempDir Path root;

  private static Path pathOf(BlobRef ref) {
    return Path.of(ref.uri());
  }

  private static void age(Path file, Instant lastWrite) throws Exception {
    Files.setLastModifiedTime(file, FileTime.from(lastWrite));
  }

  @Test
  void shouldDeleteImagesLastWrittenBeforeTheRetentionAndKeepTheRest() throws Exception {
    LocalBlobStore store = new LocalBlobStore(root);
    BlobRef old = store.put("old image".getBytes(StandardCharsets.UTF_8), "image/png");
    BlobRef fresh = store.put("fresh image".getBytes(StandardCharsets.UTF_8), "image/png");
    Instant now = Instant.parse("2026-12-02T12:00:00Z");
    age(pathOf(old), now.minus(WEEK).minusSeconds(1));
    age(pathOf(fresh), now.minus(WEEK).plusSeconds(60));

    LocalBlobRetention.Sweep sweep = new LocalBlobRetention(store, WEEK).sweep(now);

    assertThat(sweep.deleted()).isEqualTo(1);
    assertThat(sweep.bytesFreed()).isEqualTo("old image".length());
    assertThat(sweep.kept()).isEqualTo(1);
    assertThat(store.exists(old.uri())).isFalse();
    assertThat(store.exists(fresh.uri())).isTrue();
  }

  @Test
  void shouldCountRetentionFromTheLatestWriteOfTheSameImage() throws Exception {
    LocalBlobStore store = new LocalBlobStore(root);
    byte[] bytes = "produced twice".getBytes(StandardCharsets.UTF_8);
    BlobRef ref = store.put(bytes, "image/png");
    age(pathOf(ref), Instant.now().minus(Duration.ofDays(30)));

    store.put(bytes, "image/png"); // the same edit, produced again today

    LocalBlobRetention.Sweep sweep = new LocalBlobRetention(store, WEEK).sweep(Instant.now());
    assertThat(sweep.deleted()).isZero();
    assertThat(store.exists(ref.uri())).isTrue();
  }

  @Test
  void shouldNeverTouchFilesOutsideTheStoresLayout() throws Exception {
    LocalBlobStore store = new LocalBlobStore(root);
    LocalBlobStore deadLetters = new LocalBlobStore(root.resolve("dlq"));
    BlobRef letter = deadLetters.put("poison pill".getBytes(StandardCharsets.UTF_8), "x/y");
    Path notes = Files.writeString(root.resolve("README.txt"), "operator notes");
    Instant now = Instant.now();
    age(pathOf(letter), now.minus(Duration.ofDays(365)));
    age(notes, now.minus(Duration.ofDays(365)));

    LocalBlobRetention.Sweep sweep = new LocalBlobRetention(store, WEEK).sweep(now);

    assertThat(sweep.deleted()).isZero();
    assertThat(deadLetters.exists(letter.uri())).isTrue();
    assertThat(notes).exists();
  }

  @Test
  void shouldRefuseARetentionOfZero() {
    assertThatThrownBy(() -> new LocalBlobRetention(new LocalBlobStore(root), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
