package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.genai.Client;
import com.google.genai.types.Candidate;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.GenerateContentResponseUsageMetadata;
import com.google.genai.types.MediaModality;
import com.google.genai.types.ModalityTokenCount;
import com.google.genai.types.Part;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SdkGenerateContentTest {

  static Emulator emulator;
  static Client client;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(10));
    client = Sdk.client(emulator, "test-key-123456");
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  @Test
  void shouldAnswerAnEditWithTextAndAnImageOfTheInputsShape() {
    GenerateContentResponse response =
        client.models.generateContent(
            Sdk.MODEL, Sdk.edit("remove the background", TestImages.png(400, 300)), null);

    Candidate candidate = response.candidates().orElseThrow().get(0);
    assertThat(candidate.finishReason().orElseThrow().toString()).isEqualTo("STOP");
    List<Part> parts = candidate.content().orElseThrow().parts().orElseThrow();
    assertThat(parts).hasSize(2);
    assertThat(parts.get(0).text()).hasValueSatisfying(t -> assertThat(t).contains("remove"));
    assertThat(parts.get(1).inlineData().orElseThrow().mimeType()).hasValue("image/png");
    assertThat(parts).allSatisfy(p -> assertThat(p.thoughtSignature()).isPresent());
    assertThat(candidate.content().orElseThrow().role()).hasValue("model");

    BufferedImage image =
        TestImages.decode(parts.get(1).inlineData().orElseThrow().data().orElseThrow());
    // Default 1K keeps the input's 4:3 shape.
    assertThat(image.getWidth()).isEqualTo(1024);
    assertThat(image.getHeight()).isEqualTo(768);
    assertThat(response.modelVersion()).hasValue(Sdk.MODEL);
    assertThat(response.responseId()).isPresent();
  }

  @Test
  void shouldReportTokenUsagePerModality() {
    GenerateContentResponse response =
        client.models.generateContent(
            Sdk.MODEL,
            Sdk.edit("add a drop shadow", TestImages.png(200, 200)),
            Sdk.imageConfig("512", null));

    GenerateContentResponseUsageMetadata usage = response.usageMetadata().orElseThrow();
    assertThat(usage.promptTokensDetails().orElseThrow())
        .extracting(m -> m.modality().orElseThrow().toString(), m -> m.tokenCount().orElseThrow())
        .contains(org.assertj.core.groups.Tuple.tuple("IMAGE", 258));
    ModalityTokenCount imageOut =
        usage.candidatesTokensDetails().orElseThrow().stream()
            .filter(m -> m.modality().orElseThrow().knownEnum() == MediaModality.Known.IMAGE)
            .findFirst()
            .orElseThrow();
    assertThat(imageOut.tokenCount()).hasValue(747);
    assertThat(usage.totalTokenCount().orElseThrow())
        .isEqualTo(
            usage.promptTokenCount().orElseThrow() + usage.candidatesTokenCount().orElseThrow());
  }

  @Test
  void shouldHonourImageSizeAndAspectRatioSentByTheSdk() {
    GenerateContentResponse response =
        client.models.generateContent(
            Sdk.MODEL,
            Sdk.edit("make it wide", TestImages.png(100, 100)),
            Sdk.imageConfig("2K", "16:9"));

    BufferedImage image = TestImages.decode(imageBytes(response));
    assertThat(image.getWidth()).isEqualTo(2048);
    assertThat(image.getHeight()).isEqualTo(1152);
    assertThat(outputImageTokens(response)).isEqualTo(1680);
  }

  static byte[] imageBytes(GenerateContentResponse response) {
    return response
        .candidates()
        .orElseThrow()
        .get(0)
        .content()
        .orElseThrow()
        .parts()
        .orElseThrow()
        .stream()
        .filter(p -> p.inlineData().isPresent())
        .findFirst()
        .orElseThrow()
        .inlineData()
        .orElseThrow()
        .data()
        .orElseThrow();
  }

  static int outputImageTokens(GenerateContentResponse response) {
    return response.usageMetadata().orElseThrow().candidatesTokensDetails().orElseThrow().stream()
        .filter(m -> m.modality().orElseThrow().knownEnum() == MediaModality.Known.IMAGE)
        .findFirst()
        .orElseThrow()
        .tokenCount()
        .orElseThrow();
  }
}
