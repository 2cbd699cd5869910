package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo on the user's own photos ({@code --images}) with a job count ({@code --jobs}), then a
 * second run into the same folder: refused without a terminal, naming {@code --overwrite}.
 */
class DemoOwnPhotosEndToEndTest {
  @Test
  void shouldEditOwnPhotosAndRefuseToReplaceTheRunWithoutOverwrite(@TempDir Path work)
      throws Exception {
    Path photos = Files.createDirectories(work.resolve("my photos"));
    Files.write(photos.resolve("shoe.jpg"), SampleSet.image("rocket.jpg"));
    Files.write(photos.resolve("lamp.png"), SampleSet.image("chelsea.png"));

    DemoRun run = DemoRun.run(work, "--images", photos.toString(), "--jobs", "3");

    assertThat(run.exitCode()).as(run.console()).isZero();
    assertThat(run.summary().get("jobs").asInt()).isEqualTo(3);
    assertThat(run.summary().get("results").asInt()).as(run.console()).isEqualTo(3);
    // lamp.png, shoe.jpg, then lamp.png again: the same edit, answered by the cache.
    assertThat(run.summary().get("cacheHits").asInt()).isEqualTo(1);
    assertThat(run.output().resolve(ReportWriter.INPUTS).resolve("shoe.jpg"))
        .hasBinaryContent(SampleSet.image("rocket.jpg"));

    DemoRun again = DemoRun.run(work, "--images", photos.toString());

    assertThat(again.exitCode()).as(again.console()).isEqualTo(2);
    assertThat(again.console()).contains("holds an earlier demo run").contains("--overwrite");
    assertThat(again.summary().get("jobs").asInt())
        .as("the first run's summary stays")
        .isEqualTo(3);
  }
}
