package io.editstream.processor.image;

/**
 * Size limits every input image must respect, checked on its bytes and its header.
 *
 * @param maxBytes most encoded bytes of one image (default 20 MiB: the Gemini API takes about 20 MB
 *     of inline data per request)
 * @param maxPixels most pixels (width × height) declared by the header, checked before anything
 *     decodes pixels. Default 50 megapixels: room for 4096×4096 inputs, 8K×6K product photos and
 *     panoramas, while one such image decoded to 4 bytes per pixel stays near 200 MB. The model
 *     itself downsizes inputs, so larger images only cost bandwidth.
 */
public record ImageLimits(long maxBytes, long maxPixels) {

  public static final long DEFAULT_MAX_BYTES = 20L * 1024 * 1024;
  public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

  public ImageLimits {
    if (maxBytes <= 0 || maxBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "maxBytes must be between 1 and " + (Integer.MAX_VALUE - 8) + ", was " + maxBytes);
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be > 0, was " + maxPixels);
    }
  }

  /** 20 MiB and 50 megapixels. */
  public static ImageLimits defaults() {
    return new ImageLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS);
  }
}
