package io.editstream.emulator;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.AV_STREAM_GROUP_PARAMS_TILE_GRID;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_FATAL;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avformat.AVStreamGroup;
import org.bytedeco.ffmpeg.avformat.AVStreamGroupTileGrid;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes HEIC/HEIF stills (HEVC) with FFmpeg through JavaCPP's {@code org.bytedeco:ffmpeg}.
 *
 * <p>Why FFmpeg: no maintained HEIC decoder on Maven Central is pure Java (an HEVC decoder is a
 * large piece of work, and none has been ported), and libheif has no Java binding there that runs
 * on Java 17 (NightMonkeys' needs Java 22's FFM API and a libheif installed on the host). JavaCPP's
 * FFmpeg build is maintained, LGPL, and carries its native libraries in the jar, so the emulator
 * needs nothing installed; FFmpeg reads the HEIF container (the primary image item) and decodes its
 * HEVC bitstream.
 *
 * <p>What it decodes: the primary image's pixels, unrotated, without alpha. HEIF files whose
 * primary image is a grid of tiles (some phone photos) are decoded only if FFmpeg presents them as
 * one stream; otherwise the caller gets null and draws its placeholder. If the natives cannot load
 * on this host, that is logged once and every HEIC input gets the placeholder.
 *
 * <p>FFmpeg reads from a file here (the HEIF demuxer seeks around the container), so the bytes go
 * to a temporary file for the duration of one decode.
 */
final class HeicDecoder {

  private static final Logger log = LoggerFactory.getLogger(HeicDecoder.class);

  private HeicDecoder() {}

  /** Loads the natives once per JVM; null when they loaded, else why not. */
  private static final class Natives {
    static final String UNAVAILABLE = load();

    private static String load() {
      try {
        Loader.load(avformat.class);
        av_log_set_level(AV_LOG_FATAL);
        return null;
      } catch (LinkageError | RuntimeException e) {
        String reason = "FFmpeg's native libraries could not be loaded (" + e + ")";
        log.warn(
            "HEIC inputs will be drawn as a placeholder: {}. The emulator bundles them for {};"
                + " rebuild with -Djavacpp.platform=<this platform> for another.",
            reason,
            System.getProperty("javacpp.platform", "linux-x86_64"));
        return reason;
      }
    }
  }

  /** Why HEIC cannot be decoded on this host, or empty if it can. */
  static Optional<String> unavailable() {
    return Optional.ofNullable(Natives.UNAVAILABLE);
  }

  /** The primary image as {@code TYPE_3BYTE_BGR}, or null if it cannot be decoded. */
  static BufferedImage decode(byte[] heic) {
    if (Natives.UNAVAILABLE != null) {
      return null;
    }
    Path file = null;
    try {
      file = Files.createTempFile("editstream-emulator-", ".heic");
      Files.write(file, heic);
      return decode(file);
    } catch (IOException | RuntimeException e) {
      log.debug("Cannot decode a HEIC input: {}", e.toString());
      return null;
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          log.debug("Cannot delete {}: {}", file, e.toString());
        }
      }
    }
  }

  private static BufferedImage decode(Path file) {
    AVFormatContext format = new AVFormatContext(null);
    check(avformat_open_input(format, file.toString(), null, null), "open the container");
    AVPacket packet = null;
    try {
      check(avformat_find_stream_info(format, (PointerPointer<?>) null), "read the stream info");
      packet = av_packet_alloc();
      AVStreamGroup grid = tileGrid(format);
      if (grid != null) {
        return assemble(format, grid, packet);
      }
      int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
      check(index, "find the image");
      while (av_read_frame(format, packet) >= 0) {
        try {
          if (packet.stream_index() == index) {
            return decodeOne(format.streams(index), packet);
          }
        } finally {
          av_packet_unref(packet);
        }
      }
      throw new IllegalStateException("the container holds no image data");
    } finally {
      if (packet != null) {
        av_packet_free(packet);
      }
      avformat_close_input(format);
    }
  }

  /** The primary image's grid of tiles, or null when it is one coded image. */
  private static AVStreamGroup tileGrid(AVFormatContext format) {
    for (int g = 0; g < format.nb_stream_groups(); g++) {
      AVStreamGroup group = format.stream_groups(g);
      if (group.type() == AV_STREAM_GROUP_PARAMS_TILE_GRID) {
        return group;
      }
    }
    return null;
  }

  /**
   * Decodes every tile of {@code group} and places it as the grid says (phone photos are often
   * 512x512 tiles), then crops to the grid's output size.
   */
  private static BufferedImage assemble(
      AVFormatContext format, AVStreamGroup group, AVPacket packet) {
    AVStreamGroupTileGrid grid = group.params_tile_grid();
    int cw = grid.coded_width();
    int ch = grid.coded_height();
    if (cw <= 0 || ch <= 0 || (long) cw * ch > InputImage.MAX_PIXELS) {
      throw new IllegalStateException("unexpected grid size " + cw + "x" + ch);
    }
    // Stream index -> the tiles (positions) it fills.
    Map<Integer, List<int[]>> places = new HashMap<>();
    for (int t = 0; t < grid.nb_tiles(); t++) {
      int stream = group.streams(grid.offsets_idx(t)).index();
      places
          .computeIfAbsent(stream, k -> new ArrayList<>())
          .add(new int[] {grid.offsets_horizontal(t), grid.offsets_vertical(t)});
    }
    BufferedImage canvas = new BufferedImage(cw, ch, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = canvas.createGraphics();
    try {
      while (!places.isEmpty() && av_read_frame(format, packet) >= 0) {
        try {
          List<int[]> at = places.remove(packet.stream_index());
          if (at != null) {
            BufferedImage tile = decodeOne(format.streams(packet.stream_index()), packet);
            for (int[] xy : at) {
              g.drawImage(tile, xy[0], xy[1], null);
            }
          }
        } finally {
          av_packet_unref(packet);
        }
      }
    } finally {
      g.dispose();
    }
    if (!places.isEmpty()) {
      throw new IllegalStateException(places.size() + " tiles of the grid hold no image data");
    }
    int w = grid.width();
    int h = grid.height();
    if (w == cw && h == ch) {
      return canvas;
    }
    BufferedImage cropped = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D c = cropped.createGraphics();
    try {
      c.drawImage(canvas, -grid.horizontal_offset(), -grid.vertical_offset(), null);
    } finally {
      c.dispose();
    }
    return cropped;
  }

  /** Decodes the one coded picture in {@code packet} (an HEIF item is a single frame). */
  private static BufferedImage decodeOne(AVStream stream, AVPacket packet) {
    AVCodec decoder = avcodec_find_decoder(stream.codecpar().codec_id());
    if (decoder == null) {
      throw new IllegalStateException("no decoder for the image's codec");
    }
    AVCodecContext codec = avcodec_alloc_context3(decoder);
    AVFrame frame = av_frame_alloc();
    try {
      check(avcodec_parameters_to_context(codec, stream.codecpar()), "set up the decoder");
      check(avcodec_open2(codec, decoder, (PointerPointer<?>) null), "open the decoder");
      check(avcodec_send_packet(codec, packet), "decode");
      if (avcodec_receive_frame(codec, frame) != 0) {
        avcodec_send_packet(codec, (AVPacket) null); // drain: a still may come out only now
        check(avcodec_receive_frame(codec, frame), "decode the picture");
      }
      return toBgr(frame);
    } finally {
      av_frame_free(frame);
      avcodec_free_context(codec);
    }
  }

  private static BufferedImage toBgr(AVFrame frame) {
    int w = frame.width();
    int h = frame.height();
    if (w <= 0 || h <= 0 || (long) w * h > InputImage.MAX_PIXELS) {
      throw new IllegalStateException("unexpected image size " + w + "x" + h);
    }
    SwsContext sws =
        sws_getContext(
            w,
            h,
            frame.format(),
            w,
            h,
            AV_PIX_FMT_BGR24,
            SWS_BICUBIC,
            null,
            null,
            (DoublePointer) null);
    if (sws == null) {
      throw new IllegalStateException("no conversion from pixel format " + frame.format());
    }
    // swscale's SIMD paths write past the end of a row: padded, aligned rows and a spare row.
    int stride = (w * 3 + 63) / 64 * 64 + 64;
    try (BytePointer pixels = new BytePointer((long) stride * (h + 1));
        PointerPointer<BytePointer> planes = new PointerPointer<>(1);
        IntPointer strides = new IntPointer(1)) {
      planes.put(0, pixels);
      strides.put(0, stride);
      int rows = sws_scale(sws, frame.data(), frame.linesize(), 0, h, planes, strides);
      if (rows != h) {
        throw new IllegalStateException("converted " + rows + " of " + h + " rows");
      }
      BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
      byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
      for (int y = 0; y < h; y++) {
        pixels.position((long) y * stride).get(data, y * w * 3, w * 3);
      }
      return image;
    } finally {
      sws_freeContext(sws);
    }
  }

  private static void check(int result, String what) {
    if (result < 0) {
      throw new IllegalStateException("FFmpeg could not " + what + " (error " + result + ")");
    }
  }
}
