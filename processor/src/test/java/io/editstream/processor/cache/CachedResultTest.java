package io.editstream.processor.cache;

import static io.editstream.processor.cache.CacheFixtures.key;
import static io.editstream.processor.cache.CacheFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Timings;
import io.editstream.schema.TokenUsage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedResultTest {

  @Test
  void shouldBuildAHitForAnotherJob() {
    EditJob job =
        EditJob.newBuilder()
            .setJobId("job-2")
            .setTenant("acme")
            .setSku("SKU-9")
            .setImages(
                List.of(InputImage.newBuilder().setMimeType("image/png").setUri("file:/x").build()))
            .setInstruction("remove the background")
            .setOutput(
                OutputSettings.newBuilder()
                    .setFormat(ImageFormat.PNG)
                    .setSize(ImageSize.SIZE_1K)
                    .build())
            .setSubmittedAt(Instant.parse("2025-06-02T00:00:00Z"))
            .setAttributes(Map.of("editstream.batch", "b1"))
            .build();
    CachedResult cached = result("a", 10);

    EditResult hit = cached.toHit(job, key(7), Instant.parse("2025-06-02T00:00:01.250Z"));

    assertThat(hit.getJobId()).isEqualTo("job-2");
    assertThat(hit.getTenant()).isEqualTo("acme");
    assertThat(hit.getSku()).isEqualTo("SKU-9");
    assertThat(hit.getCacheHit()).isTrue();
    assertThat(hit.getContentKey()).isEqualTo(key(7).hex());
    assertThat(hit.getImages()).isEqualTo(cached.images());
    assertThat(hit.getText()).isEqualTo("text of a");
    assertThat(hit.getModel()).isEqualTo(cached.model());
    assertThat(hit.getModelVersion()).isEqualTo("v-a");
    assertThat(hit.getUsage()).isEqualTo(new TokenUsage(0, 0, 0, 0));
    assertThat(hit.getTimings()).isEqualTo(new Timings(0L, 0L, 1250L));
    assertThat(hit.getAttempts()).isZero();
    assertThat(hit.getProvider()).isNull();
    assertThat(hit.getAttributes()).containsEntry("editstream.batch", "b1");
    // Reading one hit's inline bytes must not disturb the cached entry or another hit.
    hit.getImages().get(0).getData().get(new byte[10]);
    assertThat(cached.images().get(0).getData().remaining()).isEqualTo(10);
  }

  @Test
  void shouldRecogniseTheSameResultWithoutItsInlineDataAndAtMillisecondPrecision() {
    CachedResult original =
        new CachedResult(
            CacheFixtures.result("a", 100).images(),
            "t",
            "m",
            null,
            new io.editstream.schema.TokenUsage(1, 2, 3, 4),
            CacheFixtures.CREATED.plusNanos(123_456));
    CachedResult echo = original.withInlineDataAtMost(0);
    CachedResult later =
        new CachedResult(
            original.images(),
            "t",
            "m",
            null,
            original.usage(),
            CacheFixtures.CREATED.plusMillis(1));
    CachedResult otherImage =
        new CachedResult(
            CacheFixtures.result("b").images(),
            "t",
            "m",
            null,
            original.usage(),
            original.createdAt());

    assertThat(original.sameResultAs(echo)).isTrue();
    assertThat(
            original.sameResultAs(
                new CachedResult(
                    echo.images(), "t", "m", null, original.usage(), CacheFixtures.CREATED)))
        .isTrue();
    assertThat(original.sameResultAs(later)).isFalse();
    assertThat(original.sameResultAs(otherImage)).isFalse();
    assertThat(original.sameResultAs(null)).isFalse();
  }

  @Test
  void shouldRoundTripAFreshResult() {
    CachedResult cached = result("a");
    EditResult fresh =
        cached.toHit(
            EditJob.newBuilder()
                .setJobId("j")
                .setTenant("t")
                .setImages(List.of())
                .setInstruction("i")
                .setOutput(new OutputSettings(ImageFormat.PNG, null, ImageSize.SIZE_1K))
                .setSubmittedAt(Instant.EPOCH)
                .build(),
            key(1),
            CacheFixtures.CREATED);
    fresh.setUsage(cached.usage());
    assertThat(CachedResult.of(fresh)).isEqualTo(cached);
  }

  @Test
  void shouldRequireAnImageWithAUri() {
    assertThatThrownBy(
            () ->
                new CachedResult(
                    List.of(), null, "m", null, new TokenUsage(0, 0, 0, 0), Instant.EPOCH))
        .hasMessageContaining("images");
  }
}
