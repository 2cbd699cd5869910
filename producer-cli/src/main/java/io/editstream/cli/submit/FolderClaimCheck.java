package io.editstream.cli.submit;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The claim check for large images: copies them into a shared folder the processor reads (its
 * {@code input.file.root}) under content-addressed names ({@code <sha256>.<ext>}), and sends their
 * {@code file:} URI instead of the bytes. Copying the same image twice is free.
 */
final class FolderClaimCheck implements ClaimCheck {
  private final Path dir;
  private final URI base;

  /**
   * @param dir folder to copy into (created if missing)
   * @param base URI of {@code dir} as the processor sees it; null for {@code dir}'s own file: URI
   */
  FolderClaimCheck(Path dir, URI base) {
    this.dir = dir.toAbsolutePath().normalize();
    String b = base == null ? this.dir.toUri().toString() : base.toString();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
  }

  /** Copies {@code image} into the folder (unless there already) and returns its URI. */
  @Override
  public URI store(PlannedImage.LocalFile image) throws IOException {
    String name = image.sha256() + "." + ClaimCheck.extension(image.type());
    Path target = dir.resolve(name);
    if (!Files.exists(target) || Files.size(target) != image.sizeBytes()) {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".upload-", ".tmp");
      try {
        Files.copy(image.path(), tmp, StandardCopyOption.REPLACE_EXISTING);
        try {
          Files.move(
              tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    return uriOf(image);
  }

  @Override
  public URI uriOf(PlannedImage.LocalFile image) {
    return base.resolve(image.sha256() + "." + ClaimCheck.extension(image.type()));
  }

  @Override
  public String where() {
    return "--blob-dir " + dir;
  }
}
