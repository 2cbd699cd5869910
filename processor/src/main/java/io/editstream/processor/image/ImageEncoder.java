package io.editstream.processor.image;

import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageFormat;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Turns the model's output image into the bytes we publish, in the format the job asked for.
 *
 * <ul>
 *   <li>Same type as requested: the model's bytes unchanged (dimensions read from the header).
 *   <li>JPEG requested: decoded and re-encoded with quality {@value #JPEG_QUALITY}; transparency is
 *       flattened onto white, since JPEG has no alpha.
 *   <li>PNG requested: decoded and re-encoded losslessly.
 *   <li>WebP requested: decoded and encoded lossy with quality {@value #WEBP_QUALITY} (product
 *       photos at about a tenth of the PNG's size; transparency kept) by libwebp, Google's
 *       reference encoder, through {@code com.github.usefulness:webp-imageio}. Why that one: Java
 *       has no WebP writer and every WebP encoder on Maven Central wraps native libwebp; of those,
 *       webp-imageio is maintained (regular releases tracking libwebp), is a plain ImageIO plugin,
 *       and bundles libwebp for Linux, macOS and Windows on x86_64 and ARM, so nothing has to be
 *       installed on the host (TwelveMonkeys, pure Java, only reads WebP; Scrimage runs libwebp's
 *       command-line tools as processes). If libwebp cannot load on a host, the reason is logged
 *       once at start-up and WebP jobs are published as PNG: {@link EncodedImage#mimeType()} says
 *       {@code image/png} and {@link EncodedImage#formatSubstituted()} is true. A WebP from the
 *       model is passed through unchanged.
 * </ul>
 *
 * <p>The header is checked against {@link ImageLimits#maxPixels()} before decoding. Problems are
 * reported as {@link ImageRejectedException} with code {@code MODEL_ERROR} and field {@code
 * output}. Thread-safe.
 */
public final class ImageEncoder {

  public static final float JPEG_QUALITY = 0.9f;

  /** libwebp's quality (0..1): visually close to the source, far smaller than PNG. */
  public static final float WEBP_QUALITY = 0.85f;

  private static final String FIELD = "output";

  static {
    // Decode and encode in memory; ImageIO's disk cache only costs time in a server.
    ImageIO.setUseCache(false);
  }

  private final ImageLimits limits;
  private final WebpWriter webp;

  public ImageEncoder(ImageLimits limits) {
    this(limits, WebpWriter.shared());
  }

  ImageEncoder(ImageLimits limits, WebpWriter webp) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.webp = Objects.requireNonNull(webp, "webp");
  }

  /** Why WebP outputs are published as PNG on this host, or empty if WebP is written. */
  public Optional<String> webpUnavailable() {
    return webp.unavailable();
  }

  /** The bytes to publish for {@code modelOutput} in {@code format}. */
  public EncodedImage encode(byte[] modelOutput, ImageFormat format) {
    Objects.requireNonNull(format, "format");
    ImageType source =
        ImageSniffer.sniff(modelOutput)
            .orElseThrow(() -> error("the model returned bytes that are not a known image type"));
    Dimensions dims =
        ImageProbe.dimensions(modelOutput, source)
            .orElseThrow(
                () -> error("the model returned a " + source + " whose header is unreadable"));
    if (dims.pixels() > limits.maxPixels()) {
      throw error(
          "the model returned a " + dims + " image, more than " + limits.maxPixels() + " pixels");
    }
    ImageType target =
        switch (format) {
          case PNG -> ImageType.PNG;
          case JPEG -> ImageType.JPEG;
          case WEBP ->
              source == ImageType.WEBP || webp.unavailable().isEmpty()
                  ? ImageType.WEBP
                  : ImageType.PNG;
        };
    if (source == target) {
      return new EncodedImage(modelOutput, source, dims.width(), dims.height(), format);
    }
    BufferedImage image = decode(modelOutput, source);
    byte[] bytes =
        switch (target) {
          case JPEG -> writeJpeg(image);
          case WEBP -> writeWebp(image);
          default -> writePng(image);
        };
    return new EncodedImage(bytes, target, image.getWidth(), image.getHeight(), format);
  }

  private static BufferedImage decode(byte[] bytes, ImageType source) {
    if (source != ImageType.PNG && source != ImageType.JPEG && source != ImageType.WEBP) {
      throw error("cannot convert a " + source + " image (no decoder for it)");
    }
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
      if (image == null) {
        throw error("the model's " + source + " image cannot be decoded");
      }
      return image;
    } catch (IOException | RuntimeException e) {
      if (e instanceof ImageRejectedException rejected) {
        throw rejected;
      }
      throw error(
          "the model's "
              + source
              + " image cannot be decoded ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  private static byte[] writePng(BufferedImage image) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("writing PNG to memory failed", e);
    }
  }

  private byte[] writeWebp(BufferedImage image) {
    // libwebp takes packed RGB(A); indexed, grey and 16-bit PNGs are converted first.
    int type =
        image.getColorModel().hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
    BufferedImage packed = image;
    if (image.getType() != type) {
      packed = new BufferedImage(image.getWidth(), image.getHeight(), type);
      Graphics2D g = packed.createGraphics();
      try {
        g.drawImage(image, 0, 0, null);
      } finally {
        g.dispose();
      }
    }
    try {
      return webp.write(packed);
    } catch (IOException | RuntimeException e) {
      throw error("encoding the model's image as WebP failed (" + e + ")");
    }
  }

  private static byte[] writeJpeg(BufferedImage image) {
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, rgb.getWidth(), rgb.getHeight());
      g.drawImage(image, 0, 0, null);
    } finally {
      g.dispose();
    }
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IllegalStateException("no JPEG writer in this JVM");
    }
    ImageWriter writer = writers.next();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
        writer.setOutput(ios);
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(JPEG_QUALITY);
        writer.write(null, new IIOImage(rgb, null, null), param);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("writing JPEG to memory failed", e);
    } finally {
      writer.dispose();
    }
  }

  private static ImageRejectedException error(String detail) {
    return ImageRejectedException.permanent(FailureCode.MODEL_ERROR, FIELD, detail);
  }
}
