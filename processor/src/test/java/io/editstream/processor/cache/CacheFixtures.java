package io.editstream.processor.cache;

import io.editstream.schema.OutputImage;
import io.editstream.schema.TokenUsage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Shared values for the cache tests. */
final class CacheFixtures {

  static final Instant CREATED = Instant.parse("2025-06-01T12:00:00Z");

  private CacheFixtures() {}

  static ContentKey key(int n) {
    return new ContentKey(HexFormat.of().toHexDigits((long) n).repeat(4));
  }

  static CachedResult result(String name) {
    return result(name, 0);
  }

  /** A result with one image carrying {@code inlineBytes} bytes inline (none when 0). */
  static CachedResult result(String name, int inlineBytes) {
    OutputImage image =
        OutputImage.newBuilder()
            .setUri("file:/blobs/" + name + ".png")
            .setSha256("c".repeat(64))
            .setMimeType("image/png")
            .setWidth(1024)
            .setHeight(1024)
            .setSizeBytes(Math.max(inlineBytes, 1000))
            .setData(inlineBytes == 0 ? null : ByteBuffer.wrap(new byte[inlineBytes]))
            .build();
    return new CachedResult(
        List.of(image),
        "text of " + name,
        "gemini-3.1-flash-image-preview",
        "v-" + name,
        new TokenUsage(300, 1130, 1120, 1430),
        CREATED);
  }

  /** A Caffeine ticker the test moves by hand. */
  static final class FakeTicker implements com.github.benmanes.caffeine.cache.Ticker {
    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long read() {
      return nanos.get();
    }

    void advance(java.time.Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }
}
