package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code --cheap-render}: one render per input and size, the instruction in an {@code iTXt} chunk
 * instead of drawn, so answers stay distinct per instruction and keep their size.
 */
class CheapRenderTest {

  @Test
  void shouldAnswerTheSamePixelsWithEachInstructionInTheTextChunk() throws Exception {
    byte[] first;
    byte[] second;
    try (Emulator emulator =
        Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1).withCheapRender(true))) {
      first = edit(emulator, "remove the background");
      second = edit(emulator, "add a drop shadow · ünïcode");
    }
    assertThat(first).isNotEqualTo(second);
    assertThat(pixels(first)).isEqualTo(pixels(second));
    assertThat(text(first)).isEqualTo("remove the background");
    assertThat(text(second)).isEqualTo("add a drop shadow · ünïcode");
  }

  @Test
  void shouldDrawEachInstructionByDefault() throws Exception {
    byte[] first;
    byte[] second;
    try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1))) {
      first = edit(emulator, "remove the background");
      second = edit(emulator, "add a drop shadow");
    }
    assertThat(pixels(first)).isNotEqualTo(pixels(second));
    assertThat(text(first)).isNull();
  }

  @Test
  void shouldRefuseToStampWhatIsNotAPng() {
    assertThatThrownBy(
            () -> ImageRenderer.withText("not a png".getBytes(StandardCharsets.UTF_8), "k", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("IEND");
  }

  private static byte[] edit(Emulator emulator, String instruction) {
    byte[] image =
        Http.image(Http.json(Http.send(Http.generate(emulator, Http.editBody(instruction)))));
    assertThat(image).as("an image for '%s'", instruction).isNotEmpty();
    return image;
  }

  private static int[] pixels(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
  }

  /** The text of the PNG's {@code instruction} iTXt entry as an image reader sees it, or null. */
  private static String text(byte[] png) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
      ImageReader reader = ImageIO.getImageReaders(in).next();
      try {
        reader.setInput(in);
        IIOMetadata metadata = reader.getImageMetadata(0);
        Element root = (Element) metadata.getAsTree("javax_imageio_png_1.0");
        NodeList entries = root.getElementsByTagName("iTXtEntry");
        for (int i = 0; i < entries.getLength(); i++) {
          Element entry = (Element) entries.item(i);
          if (entry.getAttribute("keyword").equals("instruction")) {
            return entry.getAttribute("text");
          }
        }
        return null;
      } finally {
        reader.dispose();
      }
    }
  }
}
