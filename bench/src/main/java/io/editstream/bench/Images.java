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

  /**
   * A smooth gradient PNG of {@code side} x {@code side} pixels, tinted by {@code seed}: small, and
   * the emulator's rendered answer stays small too (noise inputs give ~400 KB answers).
   */
  public static byte[] gradientPng(int side, long seed) {
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    int tint = Math.floorMod(seed * 37, 256);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        image.setRGB(x, y, (x * 255 / side) << 16 | (y * 255 / side) << 8 | tint);
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
