package io.editstream.cli.submit;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;

/**
 * The claim check for large images: stores them where every processor can read them, under
 * content-addressed names ({@code <sha256>.<ext>}), and the job carries their URI instead of the
 * bytes. Storing the same image twice is free.
 */
interface ClaimCheck {

  /** Stores {@code image} (unless it is there already) and returns its URI. */
  URI store(PlannedImage.LocalFile image) throws IOException;

  /** The URI an image gets, without storing it. */
  URI uriOf(PlannedImage.LocalFile image);

  /** Where images go, for messages ("--blob-dir /x", "s3://bucket/prefix/"). */
  String where();

  static String extension(ImageType type) {
    return type == ImageType.JPEG ? "jpg" : type.name().toLowerCase(Locale.ROOT);
  }
}
