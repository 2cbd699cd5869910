package io.editstream.processor.chaos;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Small generated input images: cheap to ship through Kafka thousands of times. */
final class TestPngs {
  private TestPngs() {}

  /** A 64×64 PNG (a few hundred bytes) whose colours depend on {@code variant}. */
  static byte[] small(int variant) {
    BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(new Color(0x20 * (variant % 8), 0x90, 0xE0));
      g.fillRect(0, 0, 64, 64);
      g.setColor(Color.WHITE);
      g.fillOval(16, 16, 32, 32);
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
