package io.editstream.processor.cache;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import io.editstream.schema.Timings;
import io.editstream.schema.TokenUsage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A successful edit as the dedup cache keeps it: enough to answer another job with the same {@link
 * ContentKey} without calling the model. Images always carry their blob-store {@code uri}; inline
 * {@code data} may be absent (the cache drops it above a size), so readers fall back to the uri.
 * Treat the Avro values returned by the accessors as read-only; {@link #toHit} hands out copies.
 *
 * @param images the finished images (at least one)
 * @param text text the model returned beside the image, or null
 * @param model the model id that was asked
 * @param modelVersion the model version the API reported, or null
 * @param usage the tokens the original call was billed (a hit itself bills none)
 * @param createdAt when the original result was produced
 */
public record CachedResult(
    List<OutputImage> images,
    String text,
    String model,
    String modelVersion,
    TokenUsage usage,
    Instant createdAt) {

  // Rough per-object overheads so that the weigher tracks heap bytes, not only payload bytes.
  private static final int ENTRY_OVERHEAD = 256;
  private static final int IMAGE_OVERHEAD = 128;

  public CachedResult {
    Objects.requireNonNull(images, "images");
    if (images.isEmpty()) {
      throw new IllegalArgumentException("images: a cached result needs at least one image");
    }
    for (int i = 0; i < images.size(); i++) {
      OutputImage image = Objects.requireNonNull(images.get(i), "images[" + i + "]");
      Objects.requireNonNull(image.getUri(), "images[" + i + "].uri");
    }
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(createdAt, "createdAt");
    images = images.stream().map(CachedResult::copy).toList();
    usage = TokenUsage.newBuilder(usage).build();
  }

  /** The cacheable part of a fresh result from the model. */
  public static CachedResult of(EditResult result) {
    return new CachedResult(
        result.getImages(),
        result.getText(),
        result.getModel(),
        result.getModelVersion(),
        result.getUsage(),
        result.getCompletedAt());
  }

  /**
   * The result for {@code job} served from this entry: {@code cacheHit = true}, zero usage and
   * attempts, no provider, zero cost, lane {@code online} (no call, no batch), timings with only
   * the total, attributes copied from the job.
   */
  public EditResult toHit(EditJob job, ContentKey key, Instant completedAt) {
    long totalMs = Math.max(0, Duration.between(job.getSubmittedAt(), completedAt).toMillis());
    return EditResult.newBuilder()
        .setJobId(job.getJobId())
        .setTenant(job.getTenant())
        .setSku(job.getSku())
        .setImages(images.stream().map(CachedResult::copy).toList())
        .setText(text)
        .setModel(model)
        .setModelVersion(modelVersion)
        .setCacheHit(true)
        .setContentKey(key.hex())
        .setUsage(new TokenUsage(0, 0, 0, 0))
        .setTimings(new Timings(0L, 0L, totalMs))
        .setAttempts(0)
        .setCompletedAt(completedAt)
        .setProvider(null)
        .setEstimatedCostUsd(0.0)
        .setAttributes(job.getAttributes())
        .setLane(io.editstream.schema.Lanes.ONLINE)
        .build();
  }

  /** This result with the inline data of every image larger than {@code maxInlineBytes} dropped. */
  public CachedResult withInlineDataAtMost(int maxInlineBytes) {
    boolean tooLarge =
        images.stream()
            .anyMatch(i -> i.getData() != null && i.getData().remaining() > maxInlineBytes);
    if (!tooLarge) {
      return this;
    }
    List<OutputImage> kept =
        images.stream()
            .map(
                i -> {
                  OutputImage c = copy(i);
                  if (c.getData() != null && c.getData().remaining() > maxInlineBytes) {
                    c.setData(null);
                  }
                  return c;
                })
            .toList();
    return new CachedResult(kept, text, model, modelVersion, usage, createdAt);
  }

  /**
   * True when {@code other} describes the same finished result: the same creation time to the
   * millisecond (the precision the L2 topic keeps) and the same images by uri and digest. Inline
   * data, which the L2 topic never carries, is ignored.
   */
  public boolean sameResultAs(CachedResult other) {
    if (other == null
        || createdAt.toEpochMilli() != other.createdAt.toEpochMilli()
        || images.size() != other.images.size()) {
      return false;
    }
    for (int i = 0; i < images.size(); i++) {
      OutputImage a = images.get(i);
      OutputImage b = other.images.get(i);
      if (!a.getUri().equals(b.getUri()) || !Objects.equals(a.getSha256(), b.getSha256())) {
        return false;
      }
    }
    return true;
  }

  /** Approximate heap footprint in bytes, used to bound the cache by weight. */
  public long weightBytes() {
    long w = ENTRY_OVERHEAD + chars(text) + chars(model) + chars(modelVersion);
    for (OutputImage i : images) {
      w += IMAGE_OVERHEAD + chars(i.getUri()) + chars(i.getSha256()) + chars(i.getMimeType());
      if (i.getData() != null) {
        w += i.getData().remaining();
      }
    }
    return w;
  }

  private static long chars(String s) {
    return s == null ? 0 : 2L * s.length();
  }

  // Avro records and their ByteBuffers are mutable: every holder gets its own view of the bytes.
  // Presigned URLs expire, so the cache keeps none; each result gets fresh ones (OutputImages).
  private static OutputImage copy(OutputImage i) {
    ByteBuffer data = i.getData() == null ? null : i.getData().duplicate();
    return new OutputImage(
        i.getUri(),
        i.getSha256(),
        i.getMimeType(),
        i.getWidth(),
        i.getHeight(),
        i.getSizeBytes(),
        data,
        null,
        null);
  }
}
