package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputSettings;
import io.editstream.schema.Priority;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class JobCostTest {

  private static ByteBuffer png(int width, int height) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
    return ByteBuffer.wrap(out.toByteArray());
  }

  private static EditJob job(List<InputImage> images, String instruction) {
    return EditJob.newBuilder()
        .setJobId("j")
        .setTenant("acme")
        .setSku("SKU-j")
        .setImages(images)
        .setInstruction(instruction)
        .setOutput(
            OutputSettings.newBuilder()
                .setFormat(ImageFormat.PNG)
                .setSize(ImageSize.SIZE_1K)
                .build())
        .setPriority(Priority.BULK)
        .setSubmittedAt(Instant.EPOCH)
        .build();
  }

  @Test
  void shouldCountTilesOfInlineImagesFromTheirHeaderAndTextByFourCharacters() throws Exception {
    EditJob job =
        job(
            List.of(
                InputImage.newBuilder().setMimeType("image/png").setData(png(300, 200)).build(),
                InputImage.newBuilder().setMimeType("image/png").setData(png(1000, 800)).build()),
            "x".repeat(41));

    // 258 (small) + 258 * 2 * 2 (1000x800) + ceil(41 / 4)
    assertThat(JobCost.of(job)).isEqualTo(new Cost(1, 1, 258 + 1032 + 11));
  }

  @Test
  void shouldAssumeFourTilesForImagesByUriOrWithUnreadableHeaders() {
    EditJob job =
        job(
            List.of(
                InputImage.newBuilder().setMimeType("image/png").setUri("file:///a.png").build(),
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setData(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                    .build()),
            "edit");

    assertThat(JobCost.of(job)).isEqualTo(new Cost(1, 1, 1032 + 1032 + 1));
  }

  @Test
  void shouldChargeOneRequestAndImagePerTurnAndResendTheConversation() throws Exception {
    EditJob job =
        job(
            List.of(
                InputImage.newBuilder().setMimeType("image/png").setData(png(100, 100)).build()),
            "abcd");
    job.getOutput().setSize(ImageSize.SIZE_1K);
    job.setSteps(
        List.of(
            EditStep.newBuilder().setInstruction("efgh").build(),
            EditStep.newBuilder().setInstruction("ijkl").build()));

    // turn 1: 258 + 1; turn 2: + 1K output (1032) + 1; turn 3: + 1032 + 1 again
    long turn1 = 259;
    long turn2 = turn1 + 1033;
    long turn3 = turn2 + 1033;
    assertThat(JobCost.of(job)).isEqualTo(new Cost(3, 3, turn1 + turn2 + turn3));
  }
}
