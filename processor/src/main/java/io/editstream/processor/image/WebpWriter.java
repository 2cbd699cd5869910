package io.editstream.processor.image;

import com.luciad.imageio.webp.WebPImageWriterSpi;
import com.luciad.imageio.webp.WebPWriteParam;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes WebP with libwebp through {@code com.github.usefulness:webp-imageio}, or says why it
 * cannot. libwebp is a native library: the jar carries it for Linux, macOS and Windows (x86_64 and
 * ARM) and unpacks it to {@code java.io.tmpdir} on first use, so a host where it cannot load (an
 * unlisted platform, a read-only or {@code noexec} temp directory) gets a reason instead of a
 * broken encoder. The library is tried once, by encoding a tiny image. Thread-safe.
 */
final class WebpWriter {

  private static final Logger log = LoggerFactory.getLogger(WebpWriter.class);

  /** The one for this JVM: libwebp loads once per process. */
  private static final class Shared {
    static final WebpWriter INSTANCE = probe(() -> new WebPImageWriterSpi().createWriterInstance());
  }

  /** Makes one ImageIO writer per image (writers are not thread-safe). */
  @FunctionalInterface
  interface WriterSource {
    ImageWriter get() throws IOException;
  }

  private final WriterSource writers;
  private final String unavailable;

  private WebpWriter(WriterSource writers, String unavailable) {
    this.writers = writers;
    this.unavailable = unavailable;
  }

  static WebpWriter shared() {
    return Shared.INSTANCE;
  }

  /** A writer over {@code writers}, checked by encoding a 2x2 image; logs the outcome once. */
  static WebpWriter probe(WriterSource writers) {
    Objects.requireNonNull(writers, "writers");
    WebpWriter candidate = new WebpWriter(writers, null);
    try {
      candidate.write(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB));
      log.info(
          "WebP output: libwebp via webp-imageio, lossy, quality {}",
          Math.round(ImageEncoder.WEBP_QUALITY * 100));
      return candidate;
    } catch (LinkageError | RuntimeException | IOException e) {
      // UnsatisfiedLinkError, ExceptionInInitializerError, NoClassDefFoundError: native not loaded.
      String reason = "libwebp could not be loaded on this host (" + e + ")";
      log.warn(
          "WebP output unavailable: {}. Jobs asking for WebP get PNG, and their result says"
              + " mimeType image/png. Check that java.io.tmpdir (or com.luciad.imageio.webp.tmpdir)"
              + " is writable and allows executables, on Linux, macOS or Windows (x86_64 or ARM).",
          reason);
      return new WebpWriter(writers, reason);
    }
  }

  /** Why WebP cannot be written here, or empty if it can. */
  Optional<String> unavailable() {
    return Optional.ofNullable(unavailable);
  }

  /** The image as a lossy WebP of quality {@link ImageEncoder#WEBP_QUALITY}. */
  byte[] write(BufferedImage image) throws IOException {
    ImageWriter writer = writers.get();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
        writer.setOutput(stream);
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionType(param.getCompressionTypes()[WebPWriteParam.LOSSY_COMPRESSION]);
        param.setCompressionQuality(ImageEncoder.WEBP_QUALITY);
        writer.write(null, new IIOImage(image, null, null), param);
      }
      return out.toByteArray();
    } finally {
      writer.dispose();
    }
  }
}
