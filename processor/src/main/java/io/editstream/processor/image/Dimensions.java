package io.editstream.processor.image;

/** Width and height of an image in pixels, both at least 1. */
public record Dimensions(int width, int height) {

  public Dimensions {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException(
          "dimensions must be positive, were " + width + "x" + height);
    }
  }

  /** Width times height, without int overflow. */
  public long pixels() {
    return (long) width * height;
  }

  @Override
  public String toString() {
    return width + "x" + height;
  }
}
