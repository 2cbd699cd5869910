package io.editstream.emulator;

import java.awt.Dimension;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Width and height of a HEIF file's primary image, read from its boxes (ISO/IEC 23008-12): {@code
 * meta} → {@code pitm} names the primary item, {@code iprp/ipma} lists its properties, and the
 * {@code ispe} among {@code iprp/ipco} holds its size. No pixels are decoded. Rotation ({@code
 * irot}) is not applied, as {@link HeicDecoder} does not apply it either.
 */
final class HeifHeader {

  private HeifHeader() {}

  static Optional<Dimension> dimensions(byte[] b) {
    try {
      Box meta = find(b, 0, b.length, "meta");
      if (meta == null) {
        return Optional.empty();
      }
      int inside = meta.body + 4; // full box: version and flags
      Box pitm = find(b, inside, meta.end, "pitm");
      Box iprp = find(b, inside, meta.end, "iprp");
      if (pitm == null || iprp == null) {
        return Optional.empty();
      }
      long primary = b[pitm.body] == 0 ? u16(b, pitm.body + 4) : u32(b, pitm.body + 4);
      Box ipco = find(b, iprp.body, iprp.end, "ipco");
      Box ipma = find(b, iprp.body, iprp.end, "ipma");
      if (ipco == null || ipma == null) {
        return Optional.empty();
      }
      List<Box> properties = new ArrayList<>();
      for (int at = ipco.body; at < ipco.end; ) {
        Box p = box(b, at, ipco.end);
        properties.add(p);
        at = p.end;
      }
      int version = b[ipma.body];
      boolean wide = (b[ipma.body + 3] & 1) != 0;
      int at = ipma.body + 4;
      long entries = u32(b, at);
      at += 4;
      for (long e = 0; e < entries; e++) {
        long item = version < 1 ? u16(b, at) : u32(b, at);
        at += version < 1 ? 2 : 4;
        int count = b[at++] & 0xff;
        for (int i = 0; i < count; i++) {
          int index = wide ? (int) (u16(b, at) & 0x7fff) : b[at] & 0x7f;
          at += wide ? 2 : 1;
          if (item == primary && index >= 1 && index <= properties.size()) {
            Box p = properties.get(index - 1);
            if (p.type.equals("ispe")) {
              return Optional.of(new Dimension((int) u32(b, p.body + 4), (int) u32(b, p.body + 8)));
            }
          }
        }
      }
      return Optional.empty();
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private record Box(String type, int body, int end) {}

  private static Box find(byte[] b, int from, int to, String type) {
    for (int at = from; at + 8 <= to; ) {
      Box box = box(b, at, to);
      if (box.type.equals(type)) {
        return box;
      }
      at = box.end;
    }
    return null;
  }

  private static Box box(byte[] b, int at, int limit) {
    long size = u32(b, at);
    String type = new String(b, at + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
    int header = 8;
    if (size == 1) {
      size = u32(b, at + 8) << 32 | u32(b, at + 12);
      header = 16;
    } else if (size == 0) {
      size = limit - at;
    }
    if (size < header || at + size > limit) {
      throw new IllegalArgumentException("box " + type + " overruns its parent");
    }
    return new Box(type, at + header, (int) (at + size));
  }

  private static long u16(byte[] b, int at) {
    return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }

  private static long u32(byte[] b, int at) {
    return (long) (b[at] & 0xff) << 24
        | (b[at + 1] & 0xff) << 16
        | (b[at + 2] & 0xff) << 8
        | (b[at + 3] & 0xff);
  }
}
