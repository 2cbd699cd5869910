package io.editstream.cli.submit;

import java.nio.file.Path;

/** An input image of a planned job: a local file (sent inline or by claim check) or a URL. */
public sealed interface PlannedImage {

  ImageType type();

  /** What identifies the image in a job id: the bytes' SHA-256 for files, the URL otherwise. */
  String identity();

  /**
   * A local file, checked and hashed.
   *
   * @param inline true when the bytes go in the record, false when they go by claim check
   */
  record LocalFile(Path path, ImageType type, long sizeBytes, String sha256, boolean inline)
      implements PlannedImage {
    @Override
    public String identity() {
      return "sha256:" + sha256;
    }

    LocalFile byReference() {
      return new LocalFile(path, type, sizeBytes, sha256, false);
    }
  }

  /** An http(s) URL passed through to the processor, which fetches it. */
  record Remote(String uri, ImageType type) implements PlannedImage {
    @Override
    public String identity() {
      return "uri:" + uri;
    }
  }
}
