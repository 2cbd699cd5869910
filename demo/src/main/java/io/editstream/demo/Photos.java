package io.editstream.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The photos a run's jobs edit, by file name: the bundled samples, or the user's own from {@code
 * --images DIR}. Callers may rely on {@link #names()} being sorted and every name having bytes and
 * a MIME type.
 */
public final class Photos {
  /** The extensions the processor and the emulator decode, and their MIME types. */
  static final Map<String, String> TYPES =
      Map.of(
          "jpg", "image/jpeg",
          "jpeg", "image/jpeg",
          "png", "image/png",
          "webp", "image/webp",
          "heic", "image/heic",
          "heif", "image/heif");

  /**
   * Well under the 8 MB record limit of the topics (topic.max.message.bytes), with room for the
   * job.
   */
  static final long MAX_BYTES = 6L * 1024 * 1024;

  private final Map<String, Path> files;

  private Photos(Map<String, Path> files) {
    this.files = files;
  }

  /** The sample photos bundled with the demo. */
  public static Photos bundled() {
    return new Photos(null);
  }

  /** The photos of {@code --images DIR}, or the bundled samples when {@code dir} is null. */
  public static Photos of(Path dir) {
    return dir == null ? bundled() : fromFolder(dir);
  }

  /**
   * The supported photos directly in {@code dir} (not in sub-folders), by file name.
   *
   * @throws IllegalArgumentException naming {@code --images} when the folder is missing, is not a
   *     folder, or holds no supported photo small enough to send
   */
  public static Photos fromFolder(Path dir) {
    if (!Files.exists(dir)) {
      throw new IllegalArgumentException(
          "--images "
              + dir
              + ": no such folder (give a folder of .jpg, .png, .webp or .heic photos)");
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "--images " + dir + ": not a folder (give the folder that holds the photos)");
    }
    Map<String, Path> found = new LinkedHashMap<>();
    List<String> tooLarge;
    try (Stream<Path> list = Files.list(dir)) {
      List<Path> photos =
          list.filter(Files::isRegularFile).filter(p -> mimeTypeOf(p) != null).sorted().toList();
      tooLarge = photos.stream().filter(p -> size(p) > MAX_BYTES).map(Photos::fileName).toList();
      photos.stream().filter(p -> size(p) <= MAX_BYTES).forEach(p -> found.put(fileName(p), p));
    } catch (IOException e) {
      throw new IllegalArgumentException("--images " + dir + ": cannot list: " + e.getMessage());
    }
    if (found.isEmpty()) {
      throw new IllegalArgumentException(
          "--images "
              + dir
              + ": no photo to edit; the demo reads .jpg, .jpeg, .png, .webp, .heic and .heif"
              + " files directly in the folder"
              + (tooLarge.isEmpty()
                  ? ""
                  : " up to " + MAX_BYTES / (1024 * 1024) + " MB (too large: " + tooLarge + ")"));
    }
    return new Photos(Map.copyOf(found));
  }

  /** True for the bundled samples. */
  public boolean isBundled() {
    return files == null;
  }

  /** The photos' file names, sorted. */
  public List<String> names() {
    return isBundled()
        ? SampleSet.IMAGES.keySet().stream().sorted().toList()
        : files.keySet().stream().sorted().toList();
  }

  /** The bytes of photo {@code name}. */
  public byte[] bytes(String name) {
    if (isBundled()) {
      return SampleSet.image(name);
    }
    Path file = files.get(name);
    if (file == null) {
      throw new IllegalArgumentException("no photo named '" + name + "' in --images");
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** The MIME type of photo {@code name}, from its extension. */
  public String mimeType(String name) {
    return isBundled() ? SampleSet.IMAGES.get(name) : mimeTypeOf(Path.of(name));
  }

  private static String mimeTypeOf(Path p) {
    String name = fileName(p);
    int dot = name.lastIndexOf('.');
    return dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static String fileName(Path p) {
    return p.getFileName().toString();
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }
}
