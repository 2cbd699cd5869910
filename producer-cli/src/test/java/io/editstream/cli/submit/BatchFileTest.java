package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchFileTest {
  @TempDir Path dir;

  @Test
  void shouldKeepEachJobsInstructionForTheReport() throws IOException {
    Path file = dir.resolve("b.json");
    new BatchFile(
            1,
            "b-1",
            "edit-jobs",
            "2026-03-01T10:00:00Z",
            List.of(new BatchFile.Entry("j1", "S1", "line 2", List.of("/in/a.png"), "crop it")))
        .write(file);

    BatchFile read = BatchFile.read(file);
    assertThat(read.jobs().get(0).instruction()).isEqualTo("crop it");
    assertThat(read.jobs().get(0).inputs()).containsExactly("/in/a.png");
  }

  @Test
  void shouldStillReadBatchFilesWrittenBeforeInstructionsWereKept() throws IOException {
    Path file = dir.resolve("old.json");
    Files.writeString(
        file,
        "{\"version\":1,\"batchId\":\"b-0\",\"jobsTopic\":\"edit-jobs\",\"submittedAt\":\"x\","
            + "\"jobs\":[{\"jobId\":\"j1\",\"sku\":\"S1\",\"where\":\"line 2\",\"inputs\":[\"/a.png\"]}]}");

    BatchFile read = BatchFile.read(file);
    assertThat(read.jobs().get(0).jobId()).isEqualTo("j1");
    assertThat(read.jobs().get(0).instruction()).isNull();
  }
}
