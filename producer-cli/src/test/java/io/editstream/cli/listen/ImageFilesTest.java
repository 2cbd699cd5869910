package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.editstream.cli.Records;
import io.editstream.cli.blob.BlobReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
  private static final byte[] PNG = "\u0089PNG fake bytes".getBytes(StandardCharsets.ISO_8859_1);

  @TempDir Path tmp;

  private final List<Path> flushed = new ArrayList<>();
  // What flushing a directory throws, if anything (null: it succeeds).
  private Function<Path, IOException> failure = dir -> null;
  private final BlobReader blobs =
      new BlobReader(
          () -> {
            throw new AssertionError("inline images need no S3 client");
          });

  @AfterEach
  void close() {
    blobs.close();
  }

  private ImageFiles files(Path out) {
    return new ImageFiles(
        out,
        blobs,
        dir -> {
          flushed.add(dir);
          IOException e = failure.apply(dir);
          if (e != null) {
            throw e;
          }
        });
  }

  private static io.editstream.schema.EditResult result(String id, String sku) {
    return Records.result(id, sku, Map.of(), PNG, "file:/nowhere/" + id + ".png", true);
  }

  @Test
  void shouldFlushTheNewFolderAndEveryCreatedParentOnlyWhenAsked() throws IOException {
    Path out = tmp.resolve("a/b/out");
    ImageFiles files = files(out);

    List<Path> written = files.write(result("job-1", "SKU-1"), "job-1");

    assertThat(written).hasSize(1);
    assertThat(written.get(0)).hasBinaryContent(PNG).hasParent(out.resolve("SKU-1"));
    assertThat(flushed).as("names are flushed by flush(), once per batch").isEmpty();

    files.flush();

    assertThat(flushed)
        .containsExactlyInAnyOrder(
            out.resolve("SKU-1"), // the image's name
            out, // SKU-1's entry
            tmp.resolve("a/b"), // out's
            tmp.resolve("a"), // b's
            tmp); // a's
    try (Stream<Path> left = Files.list(out.resolve("SKU-1"))) {
      assertThat(left).as("no temporary file left").containsExactly(written.get(0));
    }
  }

  @Test
  void shouldFlushEachDirectoryOnceAndOnlyWhatChangedSinceTheLastFlush() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    ImageFiles files = files(out);

    files.write(result("job-1", "SKU-1"), "job-1");
    files.write(result("job-2", "SKU-1"), "job-2");
    files.write(result("job-3", "SKU-2"), "job-3");
    files.flush();

    assertThat(flushed)
        .as("out exists: its own entry, its new entries and the images' folders, each once")
        .containsExactlyInAnyOrder(tmp, out, out.resolve("SKU-1"), out.resolve("SKU-2"));

    flushed.clear();
    files.flush();
    assertThat(flushed).as("nothing written since").isEmpty();

    files.write(result("job-4", "SKU-1"), "job-4");
    files.flush();
    assertThat(flushed)
        .as("a known folder: only its new name")
        .containsExactly(out.resolve("SKU-1"));
  }

  @Test
  void shouldFlushTheEntryOfAFolderThatWasAlreadyThereTheFirstTimeItIsUsed() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out.resolve("SKU-1")); // e.g. by another run a moment ago
    ImageFiles files = files(out);

    files.write(result("job-1", "SKU-1"), "job-1");
    files.flush();

    assertThat(flushed).containsExactlyInAnyOrder(out.resolve("SKU-1"), out, tmp);
  }

  @Test
  void shouldKeepADirectoryWhoseFlushFailedForTheNextFlush() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    failure =
        dir -> dir.equals(out.resolve("SKU-1")) ? new IOException("Input/output error") : null;
    ImageFiles files = files(out);
    files.write(result("job-1", "SKU-1"), "job-1");

    assertThatThrownBy(files::flush)
        .isInstanceOf(IOException.class)
        .hasMessage("Input/output error");

    flushed.clear();
    failure = dir -> null;
    files.flush();
    assertThat(flushed).contains(out.resolve("SKU-1"));
  }

  @Test
  void shouldReplaceAnEarlierRunsFileOfTheSameNameWholly() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path earlier = Files.createDirectories(out.resolve("SKU-1")).resolve("job-1.png");
    Files.write(earlier, new byte[100_000]);

    List<Path> written = files(out).writeAs(result("job-1", "SKU-1"), "job-1");

    assertThat(written).containsExactly(earlier);
    assertThat(earlier).hasBinaryContent(PNG);
  }

  @Test
  void shouldFlushWithTheRealDirectorySyncOnPosix() throws IOException {
    assumeTrue(
        tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "directories are flushed on POSIX file systems only");
    Path out = tmp.resolve("out");
    ImageFiles files = new ImageFiles(out, blobs);

    files.writeAs(result("job-1", "SKU-1"), "job-1");
    files.flush();

    assertThat(out.resolve("SKU-1")).isDirectoryContaining("glob:**/job-1.png");
  }

  @Test
  void shouldPassOverAFileSystemThatDoesNotFlushDirectoriesAndSaySo() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("out"));
    failure = dir -> new ImageFiles.FlushUnsupported(dir, new IOException("Invalid argument"));
    ImageFiles files = files(out);
    assertThat(files.unflushable()).isEmpty();
    files.write(result("job-1", "SKU-1"), "job-1");

    files.flush();

    assertThat(flushed).contains(out.resolve("SKU-1"));
    assertThat(files.unflushable())
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("does not flush directories")
                    .endsWith("(Invalid argument)"));
    flushed.clear();
    files.flush();
    assertThat(flushed).as("passed over, not retried").isEmpty();
  }

  @Test
  void shouldTellAFileSystemThatCannotFlushDirectoriesFromAFailingDisk() {
    // procfs has no fsync: the kernel answers EINVAL, as some network and FUSE mounts do.
    Path proc = Path.of("/proc");
    assumeTrue(Files.isDirectory(proc.resolve("self")), "needs Linux's /proc");

    assertThatThrownBy(() -> ImageFiles.syncDirectory(proc))
        .isInstanceOf(ImageFiles.FlushUnsupported.class)
        .hasMessageContaining("/proc does not flush directories")
        .hasRootCauseMessage("Invalid argument");
  }
}
