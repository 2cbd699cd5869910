package io.editstream.processor.image;

import java.util.zip.CRC32;

/**
 * Walks the container structure of a JPEG, PNG, WebP or HEIC/HEIF file, byte by byte and without
 * decoding pixels, to tell whether the file is complete and consistent: every chunk, segment or box
 * lies inside the file, the mandatory parts are there, and the file ends where its structure says
 * it ends. A file cut short in transit passes a magic-number and header check but fails here.
 *
 * <p>Hand-written because no maintained Java library checks completeness without a full decode:
 * metadata-extractor (already used for headers) stops reading a JPEG at the first scan, skips
 * truncated PNG chunks silently and never looks at HEIF item data; ImageIO would decode every
 * pixel. Each walk is O(file size) with no allocation proportional to it (PNG CRCs use {@link
 * CRC32}).
 *
 * <p>Bytes after the logical end (after PNG's IEND, JPEG's EOI, the RIFF size of a WebP) are
 * ignored, as decoders ignore them: cameras append secondary images after a JPEG's EOI (MPF), and
 * cropped screenshots have been saved with their old tail after IEND.
 */
final class ImageStructure {

  private ImageStructure() {}

  /** Why the bytes are not a complete, consistent {@code type} file; null when they are. */
  static String whyMalformed(byte[] bytes, ImageType type) {
    try {
      switch (type) {
        case PNG -> png(bytes);
        case JPEG -> jpeg(bytes);
        case WEBP -> webp(bytes);
        case HEIC, HEIF -> heif(bytes);
      }
      return null;
    } catch (Malformed e) {
      return e.getMessage();
    } catch (RuntimeException e) {
      // Bounds are checked before every read; this is a backstop, not a path we expect.
      return "its structure cannot be read (" + e.getClass().getSimpleName() + ")";
    }
  }

  /** A structural defect; a value, so no stack trace. */
  private static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  // ---- PNG: signature, chunks (length, type, data, CRC), IHDR first, IDAT, IEND ---------------

  private static void png(byte[] b) {
    int n = b.length;
    CRC32 crc = new CRC32();
    boolean idat = false;
    for (int pos = 8, index = 0; ; index++) {
      if (pos + 12 > n) {
        throw new Malformed(
            "ends at byte " + n + " inside a chunk header, before IEND (truncated)");
      }
      long length = ImageSniffer.readUint32(b, pos);
      String type = ImageSniffer.ascii(b, pos + 4, 4);
      if (!isChunkType(b, pos + 4)) {
        throw new Malformed("has no valid chunk type at byte " + pos + " (corrupt chunk length?)");
      }
      if (length > n - pos - 12L) {
        throw new Malformed(
            "chunk "
                + type
                + " at byte "
                + pos
                + " declares "
                + length
                + " data bytes, only "
                + (n - pos - 12)
                + " remain (truncated)");
      }
      if (index == 0 && !(type.equals("IHDR") && length == 13)) {
        throw new Malformed("starts with chunk " + type + ", not a 13-byte IHDR");
      }
      crc.reset();
      crc.update(b, pos + 4, 4 + (int) length);
      if (crc.getValue() != ImageSniffer.readUint32(b, pos + 8 + (int) length)) {
        throw new Malformed("chunk " + type + " at byte " + pos + " fails its CRC (corrupt)");
      }
      idat |= type.equals("IDAT");
      pos += 12 + (int) length;
      if (type.equals("IEND")) {
        if (!idat) {
          throw new Malformed("has no IDAT chunk (no pixel data)");
        }
        return;
      }
    }
  }

  private static boolean isChunkType(byte[] b, int at) {
    for (int i = at; i < at + 4; i++) {
      int c = b[i] & 0xFF;
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }

  // ---- JPEG: SOI, marker segments up to each SOS, entropy-coded data, EOI -------------------

  private static void jpeg(byte[] b) {
    int n = b.length;
    boolean frame = false;
    boolean scan = false;
    int pos = 2; // after SOI (FFD8), which the sniffer has seen
    while (true) {
      if (pos >= n) {
        throw new Malformed("ends at byte " + n + " before the EOI marker (truncated)");
      }
      if ((b[pos] & 0xFF) != 0xFF) {
        throw new Malformed(
            "has no marker at byte " + pos + " where one must start (corrupt segment length?)");
      }
      int markerAt = pos;
      while (pos < n && (b[pos] & 0xFF) == 0xFF) {
        pos++; // fill bytes may precede any marker
      }
      if (pos >= n) {
        throw new Malformed("ends at byte " + n + " before the EOI marker (truncated)");
      }
      int marker = b[pos++] & 0xFF;
      if (marker == 0xD9) {
        if (!scan) {
          throw new Malformed("ends (EOI) before any image data (no SOS segment)");
        }
        return;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // TEM and RSTn stand alone, without a length
      }
      if (marker == 0x00 || marker == 0xD8) {
        throw new Malformed(
            String.format("has an invalid marker FF%02X at byte %d", marker, markerAt));
      }
      if (pos + 2 > n) {
        throw new Malformed("ends at byte " + n + " inside a segment header (truncated)");
      }
      int length = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      String name = String.format("FF%02X", marker);
      if (length < 2) {
        throw new Malformed("segment " + name + " at byte " + markerAt + " has length " + length);
      }
      if (length > n - pos) {
        throw new Malformed(
            "segment "
                + name
                + " at byte "
                + markerAt
                + " declares "
                + length
                + " bytes, only "
                + (n - pos)
                + " remain (truncated)");
      }
      if (isStartOfFrame(marker)) {
        if (length < 8) {
          throw new Malformed("frame header " + name + " at byte " + markerAt + " is too short");
        }
        int height = ((b[pos + 3] & 0xFF) << 8) | (b[pos + 4] & 0xFF);
        int width = ((b[pos + 5] & 0xFF) << 8) | (b[pos + 6] & 0xFF);
        if (width == 0 || height == 0) {
          throw new Malformed("frame header declares " + width + "x" + height + " pixels");
        }
        frame = true;
      }
      pos += length;
      if (marker == 0xDA) {
        if (!frame) {
          throw new Malformed("has a scan (SOS) before any frame header (SOFn)");
        }
        scan = true;
        pos = endOfEntropyCodedData(b, pos);
      }
    }
  }

  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  /** Where the marker after a scan's compressed data starts. */
  private static int endOfEntropyCodedData(byte[] b, int pos) {
    int n = b.length;
    while (pos < n - 1) {
      if ((b[pos] & 0xFF) != 0xFF) {
        pos++;
        continue;
      }
      int next = b[pos + 1] & 0xFF;
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        pos += 2; // a stuffed FF data byte, or a restart marker inside the scan
      } else if (next == 0xFF) {
        pos++; // fill byte
      } else {
        return pos;
      }
    }
    throw new Malformed(
        "ends at byte " + n + " inside the compressed image data, without EOI (truncated)");
  }

  // ---- WebP: RIFF header and size, chunks inside it, VP8/VP8L/VP8X first, image data ----------

  private static void webp(byte[] b) {
    int n = b.length;
    long riffSize = readUint32Le(b, 4);
    if (riffSize < 4 || riffSize > n - 8L) {
      throw new Malformed(
          "RIFF header declares "
              + (riffSize + 8)
              + " bytes, the file has "
              + n
              + (riffSize < 4 ? "" : " (truncated)"));
    }
    int end = (int) riffSize + 8;
    boolean image = false;
    for (int pos = 12, index = 0; pos < end; index++) {
      if (pos + 8 > end) {
        throw new Malformed(
            "has a chunk header at byte " + pos + " cut by the end of the RIFF data");
      }
      String fourcc = ImageSniffer.ascii(b, pos, 4);
      long size = readUint32Le(b, pos + 4);
      if (size > end - pos - 8L) {
        throw new Malformed(
            "chunk '"
                + fourcc
                + "' at byte "
                + pos
                + " declares "
                + size
                + " bytes, only "
                + (end - pos - 8)
                + " remain (truncated)");
      }
      if (index == 0
          && !fourcc.equals("VP8 ")
          && !fourcc.equals("VP8L")
          && !fourcc.equals("VP8X")) {
        throw new Malformed("starts with chunk '" + fourcc + "', not VP8, VP8L or VP8X");
      }
      switch (fourcc) {
        case "VP8 " -> {
          vp8(b, pos + 8, (int) size);
          image = true;
        }
        case "VP8L" -> {
          if (size < 5 || (b[pos + 8] & 0xFF) != 0x2F) {
            throw new Malformed("has a VP8L chunk at byte " + pos + " without its signature");
          }
          image = true;
        }
        case "ANMF" -> image = true; // an animation frame holds its own VP8/VP8L data
        default -> {}
      }
      // Chunks are padded to an even size; a missing final pad byte is tolerated.
      pos += 8 + (int) size + (int) (size & 1);
    }
    if (!image) {
      throw new Malformed("has no image data chunk (VP8, VP8L or ANMF)");
    }
  }

  private static void vp8(byte[] b, int at, int size) {
    if (size < 10) {
      throw new Malformed("has a VP8 chunk of " + size + " bytes, too short for a frame header");
    }
    int tag = (b[at] & 0xFF) | ((b[at + 1] & 0xFF) << 8) | ((b[at + 2] & 0xFF) << 16);
    boolean keyFrame = (tag & 1) == 0;
    if (!keyFrame
        || (b[at + 3] & 0xFF) != 0x9D
        || (b[at + 4] & 0xFF) != 0x01
        || (b[at + 5] & 0xFF) != 0x2A) {
      throw new Malformed("has a VP8 chunk that does not start with a key frame");
    }
    int firstPartition = (tag >>> 5) & 0x7FFFF;
    if (firstPartition > size - 10) {
      throw new Malformed(
          "has a VP8 frame whose first partition declares "
              + firstPartition
              + " bytes, the chunk holds "
              + (size - 10));
    }
  }

  private static long readUint32Le(byte[] b, int at) {
    return (b[at] & 0xFFL)
        | ((b[at + 1] & 0xFFL) << 8)
        | ((b[at + 2] & 0xFFL) << 16)
        | ((b[at + 3] & 0xFFL) << 24);
  }

  // ---- HEIC/HEIF (ISO BMFF): top-level boxes tile the file, ftyp, meta, item data inside -----

  private static void heif(byte[] b) {
    int n = b.length;
    ImageProbe.Box meta = null;
    boolean mdat = false;
    for (int pos = 0; pos < n; ) {
      if (pos + 8 > n) {
        throw new Malformed("ends at byte " + n + " inside a box header (truncated)");
      }
      long declared = ImageSniffer.readUint32(b, pos);
      String type = ImageSniffer.ascii(b, pos + 4, 4);
      if (declared == 1 && pos + 16 > n) {
        throw new Malformed("ends at byte " + n + " inside a box header (truncated)");
      }
      ImageProbe.Box box = ImageProbe.readBox(b, pos, n);
      if (box == null) {
        long size =
            declared == 1
                ? (ImageSniffer.readUint32(b, pos + 8) << 32) | ImageSniffer.readUint32(b, pos + 12)
                : declared;
        throw new Malformed(
            "box '"
                + printable(type)
                + "' at byte "
                + pos
                + " declares "
                + size
                + " bytes, "
                + (size < 8
                    ? "less than its header"
                    : "only " + (n - pos) + " remain (truncated)"));
      }
      if (pos == 0 && !type.equals("ftyp")) {
        throw new Malformed("does not start with an ftyp box");
      }
      if (type.equals("meta")) {
        if (meta != null) {
          throw new Malformed("has more than one top-level meta box");
        }
        meta = box;
      }
      mdat |= type.equals("mdat");
      pos = box.end();
    }
    if (meta == null) {
      throw new Malformed("has no meta box (no image items)");
    }
    // meta is a FullBox: 4 bytes of version and flags precede its children.
    ImageProbe.Box iloc = ImageProbe.findChild(b, meta.contentStart() + 4, meta.end(), "iloc");
    if (iloc == null) {
      throw new Malformed("has no iloc box (item locations) in its meta box");
    }
    if (itemsStoredInFile(b, iloc) && !mdat) {
      throw new Malformed("has items stored in the file but no mdat box");
    }
  }

  /**
   * Checks that every item extent stored in this file (construction method 0, data reference 0)
   * lies inside it: with an mdat of size 0 ("to the end of the file") this is the only way a cut
   * file shows. Returns whether any item is stored that way.
   */
  private static boolean itemsStoredInFile(byte[] b, ImageProbe.Box iloc) {
    Reader r = new Reader(b, iloc.contentStart(), iloc.end());
    int version = r.u8();
    r.skip(3); // flags
    int sizes = r.u8();
    int offsetSize = sizes >>> 4;
    int lengthSize = sizes & 0xF;
    sizes = r.u8();
    int baseOffsetSize = sizes >>> 4;
    int indexSize = version == 1 || version == 2 ? sizes & 0xF : 0;
    if (version > 2) {
      throw new Malformed("has an iloc box of unknown version " + version);
    }
    long itemCount = version < 2 ? r.u16() : r.u32();
    boolean inFile = false;
    for (long i = 0; i < itemCount; i++) {
      long itemId = version < 2 ? r.u16() : r.u32();
      int constructionMethod = version == 0 ? 0 : r.u16() & 0xF;
      int dataReference = r.u16();
      long baseOffset = r.sized(baseOffsetSize);
      int extentCount = r.u16();
      boolean here = constructionMethod == 0 && dataReference == 0;
      inFile |= here;
      int extentBytes = indexSize + offsetSize + lengthSize;
      for (int e = 0; e < extentCount; e++) {
        r.sized(indexSize);
        long offset = r.sized(offsetSize);
        long length = r.sized(lengthSize);
        if (here) {
          checkExtent(b.length, itemId, baseOffset + offset, length);
        }
        if (extentBytes == 0) {
          break; // all extents read the same zero bytes: one check covers them
        }
      }
    }
    return inFile;
  }

  private static void checkExtent(int fileLength, long itemId, long start, long length) {
    // Length 0 means "to the end of the file".
    if (start < 0 || start > fileLength || length < 0 || length > fileLength - start) {
      throw new Malformed(
          "item "
              + itemId
              + " lies at bytes "
              + start
              + ".."
              + (start + length)
              + ", beyond the end of the file at "
              + fileLength
              + " (truncated)");
    }
  }

  private static String printable(String fourcc) {
    StringBuilder sb = new StringBuilder();
    for (char c : fourcc.toCharArray()) {
      sb.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return sb.toString();
  }

  /** Big-endian reads bounded by a box's end. */
  private static final class Reader {
    private final byte[] b;
    private final int end;
    private int pos;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    private void need(int count) {
      if (count > end - pos) {
        throw new Malformed("has an iloc box shorter than its item list");
      }
    }

    void skip(int count) {
      need(count);
      pos += count;
    }

    int u8() {
      need(1);
      return b[pos++] & 0xFF;
    }

    int u16() {
      need(2);
      int v = ((b[pos] & 0xFF) << 8) | (b[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    long u32() {
      need(4);
      long v = ImageSniffer.readUint32(b, pos);
      pos += 4;
      return v;
    }

    /** An unsigned field of 0, 4 or 8 bytes; a 64-bit value above 2^63 reads as negative. */
    long sized(int size) {
      return switch (size) {
        case 0 -> 0;
        case 4 -> u32();
        case 8 -> (u32() << 32) | u32();
        default ->
            throw new Malformed("has an iloc field of " + size + " bytes (0, 4 or 8 allowed)");
      };
    }
  }
}
