package io.editstream.processor.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ContentKeyTest {

  private static final String DEFAULT_MODEL = "gemini-3.1-flash-image-preview";
  private static final String D1 = "a".repeat(64);
  private static final String D2 = "b".repeat(64);

  private static ContentKeyInput base() {
    return new ContentKeyInput(
        DEFAULT_MODEL,
        "remove the background",
        List.of("add a drop shadow"),
        List.of(D1, D2),
        ImageFormat.PNG,
        "1:1",
        ImageSize.SIZE_1K,
        "acme");
  }

  private static ContentKey key(UnaryOperator<Builder> change) {
    return ContentKey.of(change.apply(new Builder(base())).build());
  }

  @Test
  void shouldKeepTheEncodingStable() {
    // Pins encoding v1: computed once from the documented encoding (also reproduced independently
    // with Python's hashlib). If this changes, bump ENCODING_VERSION instead of updating the value.
    assertThat(ContentKey.of(base()).hex())
        .isEqualTo("c5251238bebabe537069481fbc44780fa586b0847776ab677838163d5d41c675");
  }

  @Test
  void shouldGiveTheSameKeyForNfcAndNfdForms() {
    ContentKey nfc = key(b -> b.instruction("caf\u00e9 style"));
    ContentKey nfd = key(b -> b.instruction("cafe\u0301 style"));
    assertThat(nfc).isEqualTo(nfd);
    assertThat(key(b -> b.steps(List.of("cafe\u0301"))))
        .isEqualTo(key(b -> b.steps(List.of("caf\u00e9"))));
  }

  @Test
  void shouldIgnoreSurroundingWhitespaceAndDigestCase() {
    assertThat(key(b -> b.instruction("  remove the background\n\t"))).isEqualTo(key(b -> b));
    assertThat(key(b -> b.steps(List.of(" add a drop shadow ")))).isEqualTo(key(b -> b));
    assertThat(key(b -> b.digests(List.of(D1.toUpperCase(), D2)))).isEqualTo(key(b -> b));
  }

  @Test
  void shouldTreatMissingAndBlankAspectRatioAsAuto() {
    assertThat(key(b -> b.aspectRatio(null))).isEqualTo(key(b -> b.aspectRatio(" ")));
    assertThat(key(b -> b.aspectRatio(null))).isEqualTo(key(b -> b.aspectRatio("auto")));
    assertThat(key(b -> b.aspectRatio(null))).isNotEqualTo(key(b -> b));
  }

  @Test
  void shouldGiveTheSameKeyForUriAndInlineImagesWithTheSameBytes() {
    InputImage inline =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setData(ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .build();
    InputImage byUri =
        InputImage.newBuilder().setMimeType("image/png").setUri("file:/images/a.png").build();
    ContentKey a =
        ContentKey.of(ContentKeyInput.from(job(List.of(inline)), List.of(D1), DEFAULT_MODEL, true));
    ContentKey b =
        ContentKey.of(ContentKeyInput.from(job(List.of(byUri)), List.of(D1), DEFAULT_MODEL, true));
    assertThat(a).isEqualTo(b);
  }

  @Test
  void shouldKeyTheResolvedModelSoAnAliasHitsItsModelId() {
    ModelIds ids = ModelIds.of(DEFAULT_MODEL, Map.of("nano-banana-2", DEFAULT_MODEL));
    EditJob job = job(List.of(uriImage()));
    ContentKey implicit =
        ContentKey.of(ContentKeyInput.from(job, List.of(D1), ids.forJob(job), true));
    job.setModel(DEFAULT_MODEL);
    ContentKey explicit =
        ContentKey.of(ContentKeyInput.from(job, List.of(D1), ids.forJob(job), true));
    job.setModel("nano-banana-2");
    ContentKey alias = ContentKey.of(ContentKeyInput.from(job, List.of(D1), ids.forJob(job), true));
    job.setModel("other-model");
    ContentKey other = ContentKey.of(ContentKeyInput.from(job, List.of(D1), ids.forJob(job), true));
    assertThat(implicit).isEqualTo(explicit).isEqualTo(alias).isNotEqualTo(other);
  }

  @Test
  void shouldChangeWhenAnyFieldChanges() {
    ContentKey original = key(b -> b);
    List<ContentKey> changed =
        List.of(
            key(b -> b.model("gemini-2.5-flash-image")),
            key(b -> b.instruction("remove the background!")),
            key(b -> b.steps(List.of("add a soft shadow"))),
            key(b -> b.steps(List.of())),
            key(b -> b.steps(List.of("add a drop shadow", "crop"))),
            key(b -> b.digests(List.of(D2, D1))),
            key(b -> b.digests(List.of(D1))),
            key(b -> b.format(ImageFormat.JPEG)),
            key(b -> b.format(ImageFormat.WEBP)),
            key(b -> b.aspectRatio("16:9")),
            key(b -> b.size(ImageSize.SIZE_2K)),
            key(b -> b.size(ImageSize.SIZE_512)),
            key(b -> b.tenant("globex")),
            key(b -> b.tenant(null)));
    assertThat(changed).doesNotContain(original).doesNotHaveDuplicates();
  }

  @Test
  void shouldIsolateTenantsOnlyWhenIsolationIsOn() {
    EditJob acme = job(List.of(uriImage()));
    EditJob globex = job(List.of(uriImage()));
    globex.setTenant("globex");
    assertThat(ContentKey.of(ContentKeyInput.from(acme, List.of(D1), DEFAULT_MODEL, true)))
        .isNotEqualTo(
            ContentKey.of(ContentKeyInput.from(globex, List.of(D1), DEFAULT_MODEL, true)));
    assertThat(ContentKey.of(ContentKeyInput.from(acme, List.of(D1), DEFAULT_MODEL, false)))
        .isEqualTo(ContentKey.of(ContentKeyInput.from(globex, List.of(D1), DEFAULT_MODEL, false)));
  }

  @Test
  void shouldNotConfuseFieldBoundaries() {
    assertThat(key(b -> b.instruction("ab").steps(List.of("c"))))
        .isNotEqualTo(key(b -> b.instruction("a").steps(List.of("bc"))));
    assertThat(key(b -> b.steps(List.of("ab", "c"))))
        .isNotEqualTo(key(b -> b.steps(List.of("a", "bc"))));
    assertThat(key(b -> b.steps(List.of("a", "b"))))
        .isNotEqualTo(key(b -> b.steps(List.of("a\u0000\u0000\u0000\u0001b"))));
    assertThat(key(b -> b.model("m").instruction("xy")))
        .isNotEqualTo(key(b -> b.model("mx").instruction("y")));
    assertThat(key(b -> b.tenant(""))).isNotEqualTo(key(b -> b.tenant(null)));
  }

  @Test
  void shouldNameTheBadField() {
    assertThatThrownBy(() -> key(b -> b.digests(List.of(D1, "xyz"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("imageDigests[1]");
    assertThatThrownBy(
            () -> ContentKeyInput.from(job(List.of(uriImage())), List.of(D1, D2), "m", true))
        .hasMessageContaining("imageDigests");
    assertThatThrownBy(
            () -> ContentKeyInput.from(job(List.of(uriImage())), List.of(D1), null, true))
        .hasMessageContaining("model");
    assertThatThrownBy(() -> ContentKey.parse("ABC")).hasMessageContaining("contentKey");
  }

  private static InputImage uriImage() {
    return InputImage.newBuilder().setMimeType("image/png").setUri("file:/images/a.png").build();
  }

  private static EditJob job(List<InputImage> images) {
    return EditJob.newBuilder()
        .setJobId("job-1")
        .setTenant("acme")
        .setImages(images)
        .setInstruction("remove the background")
        .setSteps(List.of(EditStep.newBuilder().setInstruction("add a drop shadow").build()))
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setAspectRatio("1:1")
                .setSize(ImageSize.SIZE_1K)
                .build())
        .setSubmittedAt(java.time.Instant.parse("2025-01-01T00:00:00Z"))
        .build();
  }

  /** Mutable copy of an input, for one-field changes in tests. */
  private static final class Builder {
    private String model;
    private String instruction;
    private List<String> steps;
    private List<String> digests;
    private ImageFormat format;
    private String aspectRatio;
    private ImageSize size;
    private String tenant;

    Builder(ContentKeyInput in) {
      model = in.model();
      instruction = in.instruction();
      steps = in.steps();
      digests = in.imageDigests();
      format = in.format();
      aspectRatio = in.aspectRatio();
      size = in.size();
      tenant = in.tenant();
    }

    Builder model(String v) {
      model = v;
      return this;
    }

    Builder instruction(String v) {
      instruction = v;
      return this;
    }

    Builder steps(List<String> v) {
      steps = v;
      return this;
    }

    Builder digests(List<String> v) {
      digests = v;
      return this;
    }

    Builder format(ImageFormat v) {
      format = v;
      return this;
    }

    Builder aspectRatio(String v) {
      aspectRatio = v;
      return this;
    }

    Builder size(ImageSize v) {
      size = v;
      return this;
    }

    Builder tenant(String v) {
      tenant = v;
      return this;
    }

    ContentKeyInput build() {
      return new ContentKeyInput(
          model, instruction, steps, digests, format, aspectRatio, size, tenant);
    }
  }
}
