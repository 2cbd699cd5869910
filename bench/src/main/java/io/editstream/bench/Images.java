package io.editstream.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Input images for benchmarks: PNGs of random noise, so each seed gives distinct bytes. */
public final class Images {
  private Images() {}

  /**
   * A noise PNG of roughly {@code approxBytes} (noise barely compresses, so the size follows the
   * pixel count): 10 KB gives a 58x58 image.
   */
  public static byte[] noisePng(int approxBytes, long seed) {
    int side = Math.max(8, (int) Math.sqrt(approxBytes / 3.0));
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        image.setRGB(x, y, random.nextInt(0x1000000));
      }
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
