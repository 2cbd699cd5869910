package io.editstream.processor.image;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.riff.RiffReader;
import com.drew.lang.SequentialByteArrayReader;
import com.drew.metadata.Directory;
import com.drew.metadata.Metadata;
import com.drew.metadata.jpeg.JpegDirectory;
import com.drew.metadata.jpeg.JpegReader;
import com.drew.metadata.webp.WebpDirectory;
import com.drew.metadata.webp.WebpRiffHandler;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Optional;

/**
 * Reads an image's width and height from its header, never decoding pixels, so that a decompression
 * bomb (a small file declaring a huge canvas) is caught before anything allocates memory for its
 * pixels.
 *
 * <p>JPEG (SOF segment) and WebP (VP8/VP8L/VP8X chunk) are read with metadata-extractor over the
 * in-memory bytes (its byte-array readers check lengths before allocating, so hostile chunk sizes
 * fail cleanly). PNG and HEIF are read here: PNG's IHDR has a fixed place right after the
 * signature, while metadata-extractor's PNG reader insists on a complete file; and for HEIF
 * metadata-extractor keeps only the first {@code ispe} property, which for a gridded HEIC is one
 * tile, so we take the largest {@code ispe} of all items (the grid's own extent).
 *
 * <p>{@link #whyMalformed} goes further than the header: it walks the whole file's structure (still
 * without decoding) to catch a file that was cut short or corrupted after a readable header.
 *
 * <p>Never throws for bad input: unreadable headers give an empty result.
 */
public final class ImageProbe {

  private static final long MAX_DIMENSION = Integer.MAX_VALUE;

  private ImageProbe() {}

  /** The dimensions the header of {@code bytes} declares for {@code type}, if it can be read. */
  public static Optional<Dimensions> dimensions(byte[] bytes, ImageType type) {
    if (bytes == null || type == null) {
      return Optional.empty();
    }
    try {
      return switch (type) {
        case PNG -> png(bytes);
        case JPEG -> jpeg(bytes);
        case WEBP -> webp(bytes);
        case HEIC, HEIF -> heif(bytes);
      };
    } catch (Exception | StackOverflowError e) {
      // Hostile or truncated headers make parsers fail in many ways; all mean "unreadable".
      return Optional.empty();
    }
  }

  /**
   * Why {@code bytes} are not a complete, consistent {@code type} file (a chunk, segment or box
   * running past the end, a missing mandatory part, a bad PNG CRC); empty when they are. Walks the
   * file's structure once without decoding pixels, so it costs O(file size) and no memory. Never
   * throws for bad input.
   */
  public static Optional<String> whyMalformed(byte[] bytes, ImageType type) {
    if (bytes == null || type == null) {
      return Optional.of("there are no bytes");
    }
    ImageType sniffed = ImageSniffer.sniff(bytes).orElse(null);
    boolean bothHeif = isHeif(sniffed) && isHeif(type);
    if (sniffed != type && !bothHeif) {
      return Optional.of("the bytes do not start like " + type);
    }
    return Optional.ofNullable(ImageStructure.whyMalformed(bytes, type));
  }

  private static boolean isHeif(ImageType type) {
    return type == ImageType.HEIC || type == ImageType.HEIF;
  }

  private static Optional<Dimensions> png(byte[] b) {
    // Signature (8), then the IHDR chunk: length 13, "IHDR", width, height (big-endian).
    if (b.length < 24
        || ImageSniffer.readUint32(b, 8) != 13
        || !ImageSniffer.ascii(b, 12, 4).equals("IHDR")) {
      return Optional.empty();
    }
    return of(ImageSniffer.readUint32(b, 16), ImageSniffer.readUint32(b, 20));
  }

  private static Optional<Dimensions> jpeg(byte[] b) throws Exception {
    Metadata metadata =
        JpegMetadataReader.readMetadata(new ByteArrayInputStream(b), List.of(new JpegReader()));
    JpegDirectory dir = metadata.getFirstDirectoryOfType(JpegDirectory.class);
    if (dir == null
        || !dir.containsTag(JpegDirectory.TAG_IMAGE_WIDTH)
        || !dir.containsTag(JpegDirectory.TAG_IMAGE_HEIGHT)) {
      return Optional.empty();
    }
    return of(
        dir.getInt(JpegDirectory.TAG_IMAGE_WIDTH), dir.getInt(JpegDirectory.TAG_IMAGE_HEIGHT));
  }

  private static Optional<Dimensions> webp(byte[] b) throws Exception {
    Metadata metadata = new Metadata();
    new RiffReader().processRiff(new SequentialByteArrayReader(b), new WebpRiffHandler(metadata));
    Directory dir = metadata.getFirstDirectoryOfType(WebpDirectory.class);
    if (dir == null
        || !dir.containsTag(WebpDirectory.TAG_IMAGE_WIDTH)
        || !dir.containsTag(WebpDirectory.TAG_IMAGE_HEIGHT)) {
      return Optional.empty();
    }
    return of(
        dir.getInt(WebpDirectory.TAG_IMAGE_WIDTH), dir.getInt(WebpDirectory.TAG_IMAGE_HEIGHT));
  }

  /** Walks ftyp/meta/iprp/ipco and returns the largest {@code ispe} (image spatial extents). */
  private static Optional<Dimensions> heif(byte[] b) {
    Box meta = findChild(b, 0, b.length, "meta");
    if (meta == null) {
      return Optional.empty();
    }
    // meta is a FullBox: 4 bytes of version and flags precede its children.
    Box iprp = findChild(b, meta.contentStart + 4, meta.end, "iprp");
    Box ipco = iprp == null ? null : findChild(b, iprp.contentStart, iprp.end, "ipco");
    if (ipco == null) {
      return Optional.empty();
    }
    Dimensions largest = null;
    for (int pos = ipco.contentStart; pos < ipco.end; ) {
      Box box = readBox(b, pos, ipco.end);
      if (box == null) {
        break;
      }
      if (box.type.equals("ispe") && box.end - box.contentStart >= 12) {
        Optional<Dimensions> d =
            of(
                ImageSniffer.readUint32(b, box.contentStart + 4),
                ImageSniffer.readUint32(b, box.contentStart + 8));
        if (d.isEmpty()) {
          return Optional.empty();
        }
        if (largest == null || d.get().pixels() > largest.pixels()) {
          largest = d.get();
        }
      }
      pos = box.end;
    }
    return Optional.ofNullable(largest);
  }

  /** An ISO BMFF box: its type, where its content starts and where it ends. */
  record Box(String type, int contentStart, int end) {}

  static Box findChild(byte[] b, int from, int to, String type) {
    for (int pos = from; pos < to; ) {
      Box box = readBox(b, pos, to);
      if (box == null) {
        return null;
      }
      if (box.type.equals(type)) {
        return box;
      }
      pos = box.end;
    }
    return null;
  }

  /** The box at {@code pos}, bounded by {@code limit}; null when it does not fit. */
  static Box readBox(byte[] b, int pos, int limit) {
    if (pos < 0 || pos + 8 > limit) {
      return null;
    }
    long size = ImageSniffer.readUint32(b, pos);
    String type = ImageSniffer.ascii(b, pos + 4, 4);
    int header = 8;
    if (size == 1) {
      if (pos + 16 > limit) {
        return null;
      }
      size = (ImageSniffer.readUint32(b, pos + 8) << 32) | ImageSniffer.readUint32(b, pos + 12);
      header = 16;
    } else if (size == 0) {
      size = limit - pos;
    }
    if (size < header || size > limit - pos) {
      return null;
    }
    return new Box(type, pos + header, (int) (pos + size));
  }

  private static Optional<Dimensions> of(long width, long height) {
    if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
      return Optional.empty();
    }
    return Optional.of(new Dimensions((int) width, (int) height));
  }
}
