package io.editstream.processor.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.schema.AspectRatios;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobValidatorTest {

  private static final String SHA = "a".repeat(64);
  private final JobValidator validator = new JobValidator(ValidationLimits.defaults());

  static InputImage inline(int size) {
    return InputImage.newBuilder()
        .setMimeType("image/png")
        .setData(ByteBuffer.wrap(new byte[size]))
        .build();
  }

  static InputImage byUri(String uri) {
    return InputImage.newBuilder().setMimeType("image/jpeg").setUri(uri).build();
  }

  static EditJob.Builder job() {
    return EditJob.newBuilder()
        .setJobId("job-1")
        .setTenant("acme")
        .setImages(List.of(inline(100)))
        .setInstruction("remove the background")
        .setOutput(OutputSettings.newBuilder().build())
        .setSubmittedAt(Instant.parse("2025-01-01T00:00:00Z"));
  }

  private Rejection rejectionOf(EditJob job) {
    return validator.validate(job).orElseThrow(() -> new AssertionError("job was accepted"));
  }

  private Rejection rejectionOf(Consumer<EditJob.Builder> change) {
    EditJob.Builder b = job();
    change.accept(b);
    return rejectionOf(b.build());
  }

  @Test
  void shouldAcceptAWellFormedJob() {
    EditJob ok =
        job()
            .setImages(
                List.of(
                    inline(10),
                    byUri("https://images.example.com/a.jpg?sig=1"),
                    byUri("file:///data/in/b.jpg")))
            .setSteps(List.of(new EditStep("now add a shadow")))
            .setOutput(new OutputSettings(ImageFormat.JPEG, "16:9", ImageSize.SIZE_2K))
            .setModel("gemini-3.1-flash-image-preview")
            .build();
    assertThat(validator.validateAll(ok)).isEmpty();
  }

  @Test
  void shouldAcceptSixteenImagesAndRejectSeventeen() {
    List<InputImage> sixteen = new ArrayList<>(Collections.nCopies(16, inline(10)));
    assertThat(validator.validate(job().setImages(sixteen).build())).isEmpty();

    sixteen.add(inline(10));
    Rejection r = rejectionOf(job().setImages(sixteen).build());
    assertThat(r.code()).isEqualTo(FailureCode.TOO_MANY_IMAGES);
    assertThat(r.field()).isEqualTo("images");
    assertThat(r.message()).startsWith("images: 17 images given, at most 16");
  }

  @Test
  void shouldRejectZeroImages() {
    Rejection r = rejectionOf(b -> b.setImages(List.of()));
    assertThat(r.code()).isEqualTo(FailureCode.NO_IMAGES);
    assertThat(r.message()).startsWith("images:");
  }

  @Test
  void shouldRejectBlankIds() {
    assertThat(rejectionOf(b -> b.setJobId("  ")))
        .extracting(Rejection::code, Rejection::field)
        .containsExactly(FailureCode.INVALID_JOB, "jobId");
    assertThat(rejectionOf(b -> b.setTenant("")))
        .extracting(Rejection::code, Rejection::field)
        .containsExactly(FailureCode.INVALID_JOB, "tenant");
    assertThat(rejectionOf(b -> b.setJobId("x".repeat(257))).message())
        .isEqualTo("jobId: is 257 characters long, at most 256");
  }

  @Test
  void shouldRejectImageWithBothOrNeitherSource() {
    InputImage both =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setData(ByteBuffer.wrap(new byte[3]))
            .setUri("https://x.example/a.png")
            .build();
    InputImage neither = InputImage.newBuilder().setMimeType("image/png").build();
    Rejection r = rejectionOf(b -> b.setImages(List.of(inline(1), both)));
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.message())
        .isEqualTo("images[1]: exactly one of data or uri must be set, both are");
    assertThat(rejectionOf(b -> b.setImages(List.of(neither))).message())
        .isEqualTo("images[0]: exactly one of data or uri must be set, neither is");
  }

  @Test
  void shouldRejectDisallowedSchemeNamingTheField() {
    Rejection r =
        rejectionOf(
            b ->
                b.setImages(
                    List.of(inline(1), inline(1), inline(1), byUri("ftp://example.com/a.png"))));
    assertThat(r.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(r.field()).isEqualTo("images[3].uri");
    assertThat(r.message())
        .isEqualTo("images[3].uri: scheme 'ftp' is not allowed (enabled: file, http, https)");
  }

  @Test
  void shouldRejectSchemesThePolicyDisabled() {
    JobValidator httpOnly =
        new JobValidator(ValidationLimits.defaults().withAllowedUriSchemes(Set.of("HTTPS")));
    Rejection r =
        httpOnly.validate(job().setImages(List.of(byUri("file:///etc/passwd"))).build()).get();
    assertThat(r.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(r.message())
        .isEqualTo(
            "images[0].uri: scheme 'file' is not allowed (enabled: https); set input.file.root to a folder the processor may read");
  }

  @Test
  void shouldRejectUnparseableAndRelativeUris() {
    Rejection r =
        rejectionOf(b -> b.setImages(List.of(byUri("http://exa mple.com/?token=s3cr3t"))));
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.field()).isEqualTo("images[0].uri");
    assertThat(r.message())
        .startsWith("images[0].uri: is not a valid URI")
        .doesNotContain("s3cr3t");

    assertThat(rejectionOf(b -> b.setImages(List.of(byUri("images/a.png")))).message())
        .startsWith("images[0].uri: is not an absolute URI");
  }

  @ParameterizedTest
  @ValueSource(strings = {"image/gif", "text/html", "application/octet-stream", "image/svg+xml"})
  void shouldRejectUnsupportedDeclaredTypes(String mime) {
    InputImage image =
        InputImage.newBuilder().setMimeType(mime).setData(ByteBuffer.wrap(new byte[4])).build();
    Rejection r = rejectionOf(b -> b.setImages(List.of(image)));
    assertThat(r.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(r.message())
        .isEqualTo(
            "images[0].mimeType: '"
                + mime
                + "' is not supported (image/heic, image/heif, image/jpeg, image/png, image/webp)");
  }

  @Test
  void shouldAcceptDeclaredTypesCaseInsensitively() {
    InputImage image =
        InputImage.newBuilder()
            .setMimeType(" Image/HEIC ")
            .setData(ByteBuffer.wrap(new byte[4]))
            .build();
    assertThat(validator.validate(job().setImages(List.of(image)).build())).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"short", "63", "65", "nonhex", "spaces"})
  void shouldRejectMalformedSha256(String kind) {
    String bad =
        switch (kind) {
          case "short" -> "abc";
          case "63" -> "a".repeat(63);
          case "65" -> "a".repeat(65);
          case "nonhex" -> "g".repeat(64);
          default -> " " + "a".repeat(62) + " ";
        };
    InputImage image =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setData(ByteBuffer.wrap(new byte[4]))
            .setSha256(bad)
            .build();
    Rejection r = rejectionOf(b -> b.setImages(List.of(image)));
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.field()).isEqualTo("images[0].sha256");
  }

  @Test
  void shouldAcceptWellFormedSha256() {
    InputImage image =
        InputImage.newBuilder()
            .setMimeType("image/png")
            .setData(ByteBuffer.wrap(new byte[4]))
            .setSha256(SHA.toUpperCase())
            .build();
    assertThat(validator.validate(job().setImages(List.of(image)).build())).isEmpty();
  }

  @Test
  void shouldRejectOversizedInlineImagesOneByOneAndInTotal() {
    int limit = ValidationLimits.DEFAULT_MAX_INLINE_IMAGE_BYTES;
    Rejection one = rejectionOf(b -> b.setImages(List.of(inline(limit + 1))));
    assertThat(one.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(one.field()).isEqualTo("images[0].data");

    Rejection total =
        rejectionOf(b -> b.setImages(List.of(inline(limit / 2 + 1), inline(limit / 2 + 1))));
    assertThat(total.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(total.field()).isEqualTo("images");
  }

  @Test
  void shouldRejectEmptyInlineData() {
    assertThat(rejectionOf(b -> b.setImages(List.of(inline(0)))))
        .extracting(Rejection::code, Rejection::message)
        .containsExactly(FailureCode.INVALID_JOB, "images[0].data: is empty");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\n\t"})
  void shouldRejectBlankInstruction(String text) {
    assertThat(rejectionOf(b -> b.setInstruction(text)))
        .extracting(Rejection::code, Rejection::field)
        .containsExactly(FailureCode.INSTRUCTION_MISSING, "instruction");
  }

  @Test
  void shouldRejectAOneMegabyteInstructionWithoutEchoingIt() {
    String huge = "make it pop ".repeat(1024 * 1024 / 12);
    Rejection r = rejectionOf(b -> b.setInstruction(huge));
    assertThat(r.code()).isEqualTo(FailureCode.INSTRUCTION_TOO_LONG);
    assertThat(r.message())
        .isEqualTo("instruction: is " + huge.length() + " characters long, at most 10000 allowed");
  }

  @Test
  void shouldCountCodePointsNotUtf16Units() {
    String emoji = "\uD83D\uDE00"; // one code point, two chars
    assertThat(validator.validate(job().setInstruction(emoji.repeat(10_000)).build())).isEmpty();
    Rejection r = rejectionOf(b -> b.setInstruction(emoji.repeat(10_001)));
    assertThat(r.code()).isEqualTo(FailureCode.INSTRUCTION_TOO_LONG);
    assertThat(r.message())
        .isEqualTo("instruction: is 10001 characters long, at most 10000 allowed");
  }

  @Test
  void shouldRejectTooLongOrBlankStepsAndTooManySteps() {
    Rejection longStep =
        rejectionOf(b -> b.setSteps(List.of(new EditStep("ok"), new EditStep("x".repeat(10_001)))));
    assertThat(longStep)
        .extracting(Rejection::code, Rejection::field)
        .containsExactly(FailureCode.INSTRUCTION_TOO_LONG, "steps[1].instruction");

    assertThat(rejectionOf(b -> b.setSteps(List.of(new EditStep(" ")))))
        .extracting(Rejection::code, Rejection::field)
        .containsExactly(FailureCode.INSTRUCTION_MISSING, "steps[0].instruction");

    List<EditStep> nine = Collections.nCopies(9, new EditStep("again"));
    assertThat(rejectionOf(b -> b.setSteps(nine)).message())
        .isEqualTo("steps: 9 steps given, at most 8 allowed");
  }

  @Test
  void shouldRejectUnpairedSurrogates() {
    Rejection high = rejectionOf(b -> b.setInstruction("make it \uD83D blue"));
    assertThat(high.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(high.message())
        .isEqualTo(
            "instruction: contains an unpaired surrogate U+D83D at index 8 (not valid Unicode)");
    Rejection low = rejectionOf(b -> b.setSteps(List.of(new EditStep("\uDE00 lone low"))));
    assertThat(low.field()).isEqualTo("steps[0].instruction");
    assertThat(low.message()).contains("U+DE00 at index 0");
    // Surrogates at the very end are unpaired too.
    assertThat(rejectionOf(b -> b.setInstruction("end \uD83D")).code())
        .isEqualTo(FailureCode.INVALID_JOB);
  }

  @Test
  void shouldRejectTextThatWasInvalidUtf8OnTheWire() {
    // Avro (like every Java UTF-8 decoder) turns invalid bytes into U+FFFD.
    byte[] wire = {'b', 'l', 'u', 'e', ' ', (byte) 0xC3, (byte) 0x28, ' ', (byte) 0xFF};
    String decoded = new String(wire, java.nio.charset.StandardCharsets.UTF_8);
    Rejection r = rejectionOf(b -> b.setInstruction(decoded));
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.message()).startsWith("instruction: contains U+FFFD at index 5");
  }

  @Test
  void shouldRejectControlCharactersButAllowWhitespace() {
    assertThat(validator.validate(job().setInstruction("line one\nline\ttwo\r\n").build()))
        .isEmpty();
    assertThat(rejectionOf(b -> b.setInstruction("nul\u0000byte")).message())
        .isEqualTo("instruction: contains control character U+0000 at index 3");
    assertThat(rejectionOf(b -> b.setJobId("id\u0007")).field()).isEqualTo("jobId");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2:1", "1:2", "16:10", "square", "", "9/16", " 1:4"})
  void shouldRejectUnknownAspectRatios(String ratio) {
    Rejection r =
        rejectionOf(
            b -> b.setOutput(new OutputSettings(ImageFormat.PNG, ratio, ImageSize.SIZE_1K)));
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.message())
        .isEqualTo(
            "output.aspectRatio: '"
                + ratio
                + "' is not supported (1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, 1:4, 4:1, 1:8, 8:1)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1:4", "4:1", "1:8", "8:1"})
  void shouldAcceptTheExtremeAspectRatiosOfGemini31FlashImage(String ratio) {
    EditJob ok =
        job().setOutput(new OutputSettings(ImageFormat.PNG, ratio, ImageSize.SIZE_1K)).build();
    assertThat(validator.validate(ok)).isEmpty();
  }

  @Test
  void shouldAcceptExactlyTheAspectRatiosTheEmulatedApiAccepts() {
    // The emulator stands in for Google's API and does not depend on the schemas, so it keeps its
    // own list; this keeps the two from drifting apart.
    assertThat(AspectRatios.ALL)
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(Emulator.aspectRatios());
  }

  @Test
  void shouldAcceptEveryModelAspectRatio() {
    for (String ratio : AspectRatios.ALL) {
      EditJob ok =
          job().setOutput(new OutputSettings(ImageFormat.WEBP, ratio, ImageSize.SIZE_4K)).build();
      assertThat(validator.validate(ok)).as(ratio).isEmpty();
    }
  }

  @Test
  void shouldRejectModelsOutsideTheAllowList() {
    JobValidator restricted =
        new JobValidator(
            ValidationLimits.defaults()
                .withAllowedModels(Set.of("gemini-3.1-flash-image-preview")));
    assertThat(restricted.validate(job().build())).isEmpty();
    Rejection r = restricted.validate(job().setModel("gemini-ultra").build()).get();
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.message())
        .isEqualTo("model: 'gemini-ultra' is not allowed (gemini-3.1-flash-image-preview)");
  }

  @Test
  void shouldRejectALaneItDoesNotKnowAndNameTheAttribute() {
    Rejection r =
        validator
            .validate(job().setAttributes(java.util.Map.of("editstream.lane", "cheap")).build())
            .get();
    assertThat(r.code()).isEqualTo(FailureCode.INVALID_JOB);
    assertThat(r.field()).isEqualTo("attributes[editstream.lane]");
    assertThat(r.message())
        .isEqualTo("attributes[editstream.lane]: 'cheap' is not a lane; use one of batch, online");
    for (String ok : List.of("batch", "online", " Batch ")) {
      assertThat(
              validator.validate(
                  job().setAttributes(java.util.Map.of("editstream.lane", ok)).build()))
          .as(ok)
          .isEmpty();
    }
  }

  @Test
  void shouldReportAllProblemsInFieldOrder() {
    EditJob bad =
        new EditJob(
            "",
            "",
            null,
            List.of(),
            " ",
            List.of(),
            null,
            null,
            null,
            false,
            Instant.EPOCH,
            null,
            null);
    assertThat(validator.validateAll(bad))
        .extracting(Rejection::field)
        .containsExactly("jobId", "tenant", "images", "instruction", "output");
    assertThat(validator.validate(bad).get().field()).isEqualTo("jobId");
  }

  @Test
  void shouldRejectInvalidLimits() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new ValidationLimits(0, 1, 1, 1, 1, 1, Set.of(), Set.of(), null))
        .withMessageContaining("maxImages");
  }
}
