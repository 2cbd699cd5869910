package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnPhotosAndOutputFolderTest {
  @TempDir Path dir;

  @Test
  void shouldTakeTheSupportedPhotosOfTheFolderByName() throws Exception {
    Files.write(dir.resolve("shoe.JPG"), SampleSet.image("rocket.jpg"));
    Files.write(dir.resolve("mug.webp"), SampleSet.image("coffee.webp"));
    Files.writeString(dir.resolve("notes.txt"), "not a photo");
    Files.createDirectories(dir.resolve("sub.png"));

    Photos photos = Photos.fromFolder(dir);

    assertThat(photos.names()).containsExactly("mug.webp", "shoe.JPG");
    assertThat(photos.mimeType("shoe.JPG")).isEqualTo("image/jpeg");
    assertThat(photos.mimeType("mug.webp")).isEqualTo("image/webp");
    assertThat(photos.bytes("mug.webp")).isEqualTo(SampleSet.image("coffee.webp"));
  }

  @Test
  void shouldNameTheImagesOptionWhenTheFolderIsMissingOrHasNoPhoto() throws Exception {
    assertThatThrownBy(() -> Photos.fromFolder(dir.resolve("nope")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("--images ")
        .hasMessageContaining("no such folder");
    Path file = Files.writeString(dir.resolve("a.txt"), "x");
    assertThatThrownBy(() -> Photos.fromFolder(file))
        .hasMessageContaining("--images ")
        .hasMessageContaining("not a folder");
    assertThatThrownBy(() -> Photos.fromFolder(dir))
        .hasMessageContaining("--images ")
        .hasMessageContaining("no photo to edit")
        .hasMessageContaining(".jpg, .jpeg, .png, .webp, .heic and .heif");
  }

  @Test
  void shouldRefuseAFolderWhosePhotosAreAllTooLarge() throws Exception {
    Files.write(dir.resolve("huge.png"), new byte[(int) Photos.MAX_BYTES + 1]);
    assertThatThrownBy(() -> Photos.fromFolder(dir))
        .hasMessageContaining("--images ")
        .hasMessageContaining("too large: [huge.png]");
  }

  @Test
  void shouldMakeOneJobPerPhotoAndGoRoundAgainForMoreJobs() {
    List<SampleJob> jobs = SampleSet.ownPhotoJobs(List.of("a.jpg", "a.png", "my shoe.heic"), 5);

    assertThat(jobs)
        .extracting(SampleJob::jobId)
        .containsExactly(
            "photo-a.jpg", "photo-a.png", "photo-my-shoe.heic", "photo-a.jpg-2", "photo-a.png-2");
    assertThat(jobs).extracting(SampleJob::sku).containsExactly("a", "a", "my shoe", "a", "a");
    assertThat(jobs).extracting(SampleJob::image).element(2).isEqualTo("my shoe.heic");
  }

  @Test
  void shouldSubmitAsManySampleJobsAsAskedWithUniqueIds() {
    int all = SampleSet.jobs(true).size();
    assertThat(SampleSet.jobs(true, 3))
        .extracting(SampleJob::jobId)
        .containsExactlyElementsOf(
            SampleSet.jobs(true).stream().limit(3).map(SampleJob::jobId).toList());
    List<SampleJob> more = SampleSet.jobs(true, all + 2);
    assertThat(more).hasSize(all + 2);
    assertThat(more.stream().map(SampleJob::jobId).distinct()).hasSize(all + 2);
    assertThat(more.get(all).jobId()).isEqualTo(SampleSet.jobs(true).get(0).jobId() + "-2");
    assertThatThrownBy(() -> SampleSet.jobs(true, 0)).hasMessageContaining("--jobs");
  }

  @Test
  void shouldNameTheJobsOptionWhenTheCountIsOutOfRange() {
    DemoOptions o = DemoOptions.fromEnvironment(dir, java.util.Map.of());
    assertThatThrownBy(() -> o.withJobCount(DemoOptions.MAX_JOBS + 1))
        .hasMessage("--jobs must be between 1 and 1000, was 1001");
    assertThat(DemoMain.run("--jobs", "0", "--output", dir.resolve("o").toString())).isEqualTo(2);
    assertThat(DemoMain.run("--images", dir.resolve("none").toString(), "--output", dir.toString()))
        .isEqualTo(2);
  }

  @Test
  void shouldWriteIntoANewOrUnrelatedFolderWithoutAsking() throws Exception {
    OutputFolder.Confirm never =
        q -> {
          throw new AssertionError("asked: " + q);
        };
    assertThatCode(() -> OutputFolder.claim(dir.resolve("new"), false, never))
        .doesNotThrowAnyException();
    Files.writeString(dir.resolve("unrelated.txt"), "mine");
    assertThatCode(() -> OutputFolder.claim(dir, false, never)).doesNotThrowAnyException();
  }

  @Test
  void shouldRefuseToReplaceAnEarlierRunWithoutATerminalUnlessOverwrite() throws Exception {
    Files.writeString(dir.resolve(ReportWriter.REPORT), "<html>");
    Files.createDirectories(dir.resolve(ReportWriter.IMAGES));

    assertThatThrownBy(() -> OutputFolder.claim(dir, false, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("report.html, images")
        .hasMessageContaining("--overwrite")
        .hasMessageContaining("--output DIR");
    assertThatCode(() -> OutputFolder.claim(dir, true, null)).doesNotThrowAnyException();
  }

  @Test
  void shouldAskAtATerminalAndReplaceOnlyOnYes() throws Exception {
    Files.writeString(dir.resolve(Demo.SUMMARY_JSON), "{}");
    List<String> asked = new ArrayList<>();

    assertThatCode(() -> OutputFolder.claim(dir, false, q -> asked.add(q)))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> OutputFolder.claim(dir, false, q -> false))
        .hasMessageContaining("not replaced");
    assertThat(asked).singleElement().asString().contains("summary.json").endsWith("[y/N] ");
  }
}
