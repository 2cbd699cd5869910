package io.editstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Sample images from src/test/resources/images (see the README there for their licences). */
public final class TestImages {
  public static final String JPEG = "rocket.jpg";
  public static final String PNG = "chelsea.png";
  public static final String WEBP = "coffee.webp";
  public static final String HEIC = "coffee.heic";

  private TestImages() {}

  /** Copies the sample {@code name} into {@code dir} (under {@code as}) and returns the copy. */
  public static Path copy(String name, Path dir, String as) throws IOException {
    Path target = dir.resolve(as);
    Files.createDirectories(target.toAbsolutePath().getParent());
    try (InputStream in = TestImages.class.getResourceAsStream("/images/" + name)) {
      if (in == null) {
        throw new IOException("no test image " + name);
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return target;
  }

  public static Path copy(String name, Path dir) throws IOException {
    return copy(name, dir, name);
  }

  public static byte[] bytes(String name) throws IOException {
    try (InputStream in = TestImages.class.getResourceAsStream("/images/" + name)) {
      return in.readAllBytes();
    }
  }

  /** A sparse file of {@code size} bytes that starts like a JPEG: only its size is wrong. */
  public static Path hugeJpeg(Path dir, String as, long size) throws IOException {
    Path target = dir.resolve(as);
    try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
      f.write(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0});
      f.setLength(size);
    }
    return target;
  }
}
