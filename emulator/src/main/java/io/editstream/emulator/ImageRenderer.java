package io.editstream.emulator;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draws the "edited" image: the input scaled onto a canvas of the requested size, a border whose
 * colour comes from the instruction, and the instruction text in a banner. Output is a PNG that
 * depends only on the arguments (fixed fonts, hints and encoder settings).
 */
final class ImageRenderer {

  private static final Logger log = LoggerFactory.getLogger(ImageRenderer.class);
  private static volatile boolean fontsBroken;

  /**
   * Decoded inputs by content hash: shops send several edits of one photo, and decoding is a large
   * share of the work. Read-only once cached.
   */
  private final Cache<String, BufferedImage> decoded =
      Caffeine.newBuilder()
          .maximumWeight(128L * 1024 * 1024)
          .weigher((String k, BufferedImage v) -> v.getWidth() * v.getHeight() * 4)
          .build();

  /** What to draw. {@code input} may be null (no image, or a format the JDK cannot decode). */
  record Job(
      String inputKey,
      byte[] input,
      InputImage.Format inputFormat,
      String instruction,
      String caption,
      int width,
      int height) {}

  byte[] render(Job job) {
    BufferedImage canvas = new BufferedImage(job.width(), job.height(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      int hash = fnv(job.instruction());
      float hue = (hash >>> 8 & 0xffff) / 65536f;
      Color accent = Color.getHSBColor(hue, 0.75f, 0.85f);
      Color background = Color.getHSBColor(hue, 0.12f, 0.97f);
      int w = job.width();
      int h = job.height();
      int shortEdge = Math.min(w, h);
      int border = Math.max(4, shortEdge / 40);
      g.setColor(background);
      g.fillRect(0, 0, w, h);

      int banner = Math.max(24, h / 7);
      int pad = border * 2;
      int areaX = pad;
      int areaY = pad;
      int areaW = Math.max(1, w - 2 * pad);
      int areaH = Math.max(1, h - pad - banner - pad);
      BufferedImage input = job.input() == null ? null : decodedInput(job);
      if (input == null) {
        input = placeholder(job.inputFormat(), accent);
      }
      double scale =
          Math.min((double) areaW / input.getWidth(), (double) areaH / input.getHeight());
      int dw = Math.max(1, (int) Math.round(input.getWidth() * scale));
      int dh = Math.max(1, (int) Math.round(input.getHeight() * scale));
      g.drawImage(input, areaX + (areaW - dw) / 2, areaY + (areaH - dh) / 2, dw, dh, null);

      // A tint over the picture so the edit is visible even without text.
      g.setColor(new Color(accent.getRed(), accent.getGreen(), accent.getBlue(), 40));
      g.fillRect(areaX + (areaW - dw) / 2, areaY + (areaH - dh) / 2, dw, dh);

      g.setColor(new Color(20, 20, 24));
      g.fillRect(0, h - banner - border, w, banner);
      g.setColor(accent);
      g.setStroke(new BasicStroke(border));
      g.drawRect(border / 2, border / 2, w - border, h - border);
      drawText(g, job, w, h, banner, border);
    } finally {
      g.dispose();
    }
    return encodePng(canvas);
  }

  private static void drawText(Graphics2D g, Job job, int w, int h, int banner, int border) {
    if (fontsBroken) {
      return;
    }
    try {
      int size = Math.max(8, banner / 4);
      Font font = new Font(Font.SANS_SERIF, Font.BOLD, size);
      g.setFont(font);
      FontMetrics fm = g.getFontMetrics();
      g.setColor(Color.WHITE);
      List<String> lines =
          wrap(
              job.instruction().isEmpty() ? "(no instruction)" : job.instruction(),
              fm,
              w - 4 * border,
              2);
      int y =
          h - banner - border + (banner - fm.getHeight() * (lines.size() + 1)) / 2 + fm.getAscent();
      for (String line : lines) {
        g.drawString(line, 2 * border, y);
        y += fm.getHeight();
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(7, size * 2 / 3)));
      g.setColor(new Color(200, 200, 210));
      g.drawString(job.caption(), 2 * border, y);
    } catch (RuntimeException | InternalError e) {
      // Headless hosts without fontconfig fail here; an image without text is still useful.
      fontsBroken = true;
      log.warn("Cannot draw text (no usable fonts?); images will carry no text: {}", e.toString());
    }
  }

  static List<String> wrap(String text, FontMetrics fm, int maxWidth, int maxLines) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split("\\s+")) {
      String candidate = line.length() == 0 ? word : line + " " + word;
      if (fm.stringWidth(candidate) <= maxWidth || line.length() == 0) {
        line.setLength(0);
        line.append(candidate);
      } else {
        lines.add(line.toString());
        line.setLength(0);
        line.append(word);
      }
    }
    lines.add(line.toString());
    if (lines.size() > maxLines) {
      List<String> cut = new ArrayList<>(lines.subList(0, maxLines));
      cut.set(maxLines - 1, cut.get(maxLines - 1) + " …");
      return cut;
    }
    return lines;
  }

  private BufferedImage decodedInput(Job job) {
    // Not Cache.get(key, fn): that would decode under a map lock and stall other keys.
    BufferedImage image = decoded.getIfPresent(job.inputKey());
    if (image == null) {
      image = decode(job);
      if (image != null) {
        decoded.put(job.inputKey(), image);
      }
    }
    return image;
  }

  /**
   * Decodes the input into a type Java2D scales quickly: PNG and JPEG with the JDK's readers, WebP
   * with TwelveMonkeys' (pure Java), HEIC with FFmpeg ({@link HeicDecoder}). Null for broken bytes
   * (the header parsed during validation, so the caller draws a placeholder).
   */
  private static BufferedImage decode(Job job) {
    BufferedImage image =
        switch (job.inputFormat()) {
          case PNG, JPEG, WEBP -> imageIo(job.input());
          case HEIC -> HeicDecoder.decode(job.input());
        };
    if (image == null
        || image.getType() == BufferedImage.TYPE_INT_RGB
        || image.getType() == BufferedImage.TYPE_INT_ARGB) {
      return image;
    }
    int type =
        image.getColorModel().hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
    BufferedImage converted = new BufferedImage(image.getWidth(), image.getHeight(), type);
    Graphics2D g = converted.createGraphics();
    try {
      g.drawImage(image, 0, 0, null);
    } finally {
      g.dispose();
    }
    return converted;
  }

  private static BufferedImage imageIo(byte[] bytes) {
    try {
      return ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)));
    } catch (IOException | RuntimeException e) {
      log.debug("Cannot decode an input image: {}", e.toString());
      return null;
    }
  }

  /** Stands in for an input that cannot be decoded, or for a text-only prompt. */
  private static BufferedImage placeholder(InputImage.Format format, Color accent) {
    int edge = 256;
    BufferedImage img = new BufferedImage(edge, edge, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      int cell = 32;
      for (int y = 0; y < edge; y += cell) {
        for (int x = 0; x < edge; x += cell) {
          boolean dark = ((x + y) / cell) % 2 == 0;
          g.setColor(dark ? new Color(180, 180, 186) : new Color(226, 226, 230));
          g.fillRect(x, y, cell, cell);
        }
      }
      g.setColor(accent);
      g.fillOval(edge / 4, edge / 4, edge / 2, edge / 2);
      if (format != null && !fontsBroken) {
        try {
          g.setRenderingHint(
              RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
          g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 28));
          g.setColor(Color.BLACK);
          g.drawString(format.name(), 12, edge - 14);
        } catch (RuntimeException | InternalError e) {
          fontsBroken = true;
        }
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  static byte[] encodePng(BufferedImage image) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream(image.getWidth() * image.getHeight());
    try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      // Fast deflate: 4K canvases otherwise take seconds to encode.
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.9f);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /**
   * {@code png} with an {@code iTXt} chunk ({@code keyword}, UTF-8 {@code text}, uncompressed)
   * before its {@code IEND}: the pixels are unchanged, the bytes now depend on the text.
   */
  static byte[] withText(byte[] png, String keyword, String text) {
    int end = png.length - 12;
    if (end < 8
        || png[end + 4] != 'I'
        || png[end + 5] != 'E'
        || png[end + 6] != 'N'
        || png[end + 7] != 'D') {
      throw new IllegalArgumentException("not a PNG ending in IEND (" + png.length + " bytes)");
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes(keyword.getBytes(StandardCharsets.ISO_8859_1));
    // Keyword end, compression flag and method (none), empty language tag, empty translation.
    data.writeBytes(new byte[] {0, 0, 0, 0, 0});
    data.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    byte[] body = data.toByteArray();
    CRC32 crc = new CRC32();
    crc.update(ITXT);
    crc.update(body);
    ByteBuffer out = ByteBuffer.allocate(png.length + 12 + body.length);
    out.put(png, 0, end);
    out.putInt(body.length).put(ITXT).put(body).putInt((int) crc.getValue());
    out.put(png, end, 12);
    return out.array();
  }

  private static final byte[] ITXT = "iTXt".getBytes(StandardCharsets.ISO_8859_1);

  private static int fnv(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return h;
  }
}
