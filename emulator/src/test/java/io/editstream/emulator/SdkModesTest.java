package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.genai.Chat;
import com.google.genai.Client;
import com.google.genai.ResponseStream;
import com.google.genai.types.Content;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.Part;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SDK's async, streaming and chat modes against the emulator. */
class SdkModesTest {

  static Emulator emulator;
  static Client client;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(20));
    client = Sdk.client(emulator, "modes-key");
  }

  @AfterAll
  static void stop() {
    client.close();
    emulator.close();
  }

  @Test
  void shouldAnswerAsyncCalls() throws Exception {
    List<CompletableFuture<GenerateContentResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(
          client.async.models.generateContent(
              Sdk.MODEL,
              Sdk.edit("async " + i, TestImages.png(50, 100)),
              Sdk.imageConfig("512", null)));
    }
    for (CompletableFuture<GenerateContentResponse> f : futures) {
      BufferedImage image =
          TestImages.decode(SdkGenerateContentTest.imageBytes(f.get(20, TimeUnit.SECONDS)));
      assertThat(image.getHeight()).isEqualTo(512);
      assertThat(image.getWidth()).isEqualTo(256);
    }
  }

  @Test
  void shouldStreamTextThenTheImageWithUsageLast() {
    List<GenerateContentResponse> chunks = new ArrayList<>();
    try (ResponseStream<GenerateContentResponse> stream =
        client.models.generateContentStream(
            Sdk.MODEL,
            Sdk.edit("stream it", TestImages.png(64, 64)),
            Sdk.imageConfig("512", "1:1"))) {
      stream.forEach(chunks::add);
    }

    assertThat(chunks).hasSize(2);
    assertThat(chunks.get(0).text()).contains("stream it");
    GenerateContentResponse last = chunks.get(1);
    assertThat(last.finishReason().toString()).isEqualTo("STOP");
    BufferedImage image = TestImages.decode(SdkGenerateContentTest.imageBytes(last));
    assertThat(image.getWidth()).isEqualTo(512);
    assertThat(SdkGenerateContentTest.outputImageTokens(last)).isEqualTo(747);
    assertThat(chunks)
        .allSatisfy(c -> assertThat(c.responseId()).isEqualTo(chunks.get(0).responseId()));
  }

  @Test
  void shouldStreamABlockedPromptAsOneChunk() {
    List<GenerateContentResponse> chunks = new ArrayList<>();
    try (ResponseStream<GenerateContentResponse> stream =
        client.models.generateContentStream(
            Sdk.MODEL,
            Sdk.edit("[emulator:block=PROHIBITED_CONTENT]", TestImages.png(8, 8)),
            null)) {
      stream.forEach(chunks::add);
    }
    assertThat(chunks).hasSize(1);
    assertThat(chunks.get(0).promptFeedback().orElseThrow().blockReason().orElseThrow().toString())
        .isEqualTo("PROHIBITED_CONTENT");
  }

  @Test
  void shouldEditTheLatestImageAcrossChatTurns() {
    Chat chat = client.chats.create(Sdk.MODEL);

    // Turn 1 reshapes a 3:1 input to 16:9.
    GenerateContentResponse first =
        chat.sendMessage(
            Content.builder()
                .role("user")
                .parts(
                    Part.fromText("make it blue"),
                    Part.fromBytes(TestImages.png(300, 100), "image/png"))
                .build(),
            Sdk.imageConfig("512", "16:9"));
    BufferedImage firstImage = TestImages.decode(SdkGenerateContentTest.imageBytes(first));
    assertThat(firstImage.getWidth()).isEqualTo(512);
    assertThat(firstImage.getHeight()).isEqualTo(288);

    GenerateContentResponse second =
        chat.sendMessage("now add a shadow", Sdk.imageConfig("512", null));

    // Turn 2 sent the model's 16:9 image (with its signatures) back; that is what gets edited,
    // so the output keeps 16:9 rather than the user's 3:1, and prompt tokens cover two images.
    BufferedImage secondImage = TestImages.decode(SdkGenerateContentTest.imageBytes(second));
    assertThat(secondImage.getWidth()).isEqualTo(512);
    assertThat(secondImage.getHeight()).isEqualTo(288);
    assertThat(second.usageMetadata().orElseThrow().promptTokenCount().orElseThrow())
        .isGreaterThan(first.usageMetadata().orElseThrow().promptTokenCount().orElseThrow() + 258);
    assertThat(chat.getHistory(true)).hasSize(4);
    List<Part> modelParts = chat.getHistory(true).get(1).parts().orElseThrow();
    assertThat(modelParts).allSatisfy(p -> assertThat(p.thoughtSignature()).isPresent());
  }
}
