package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.TestImages;
import io.editstream.cli.listen.OutputName;
import io.editstream.cli.manifest.Manifest;
import io.editstream.cli.manifest.Manifests;
import io.editstream.schema.EditJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRecordsTest {
  @TempDir Path dir;

  private List<EditJob> records(String csv) throws IOException {
    TestImages.copy(TestImages.JPEG, dir, "front.jpg");
    TestImages.copy(TestImages.PNG, dir, "back.png");
    Path file = dir.resolve("manifest.csv");
    Files.writeString(file, csv, StandardCharsets.UTF_8);
    Manifest m = Manifests.read(file);
    Plan plan =
        new JobPlanner(SubmitDefaults.basic().withTenant("acme")).plan(m.rows(), m.baseDir());
    assertThat(plan.problems()).isEmpty();
    List<EditJob> out = new java.util.ArrayList<>();
    for (PlannedJob job : plan.jobs()) {
      out.add(JobRecords.toRecord(job, "b-1", Instant.EPOCH, null));
    }
    return out;
  }

  @Test
  void shouldCarryTheSourceFileAndTheFanOutValuesSoOutputsCanBeNamedByThem() throws IOException {
    List<EditJob> jobs =
        records(
            "sku,images,instruction,colour,locale\n"
                + "S1,front.jpg,{{colour}} banner in {{locale}},red|blue,en|de\n"
                + "S1,back.png|front.jpg,plain,,\n");

    assertThat(jobs).hasSize(5);
    assertThat(jobs.get(0).getAttributes())
        .containsEntry(JobRecords.SOURCE, "front.jpg")
        .containsEntry(JobRecords.VARIANT, "red-en")
        .containsEntry(JobRecords.BATCH, "b-1");
    EditJob plain = jobs.get(4);
    assertThat(plain.getAttributes())
        .containsEntry(JobRecords.SOURCE, "back.png")
        .doesNotContainKey(JobRecords.VARIANT);

    // Photos of one SKU and its variants get names a person can tell apart.
    assertThat(jobs)
        .extracting(j -> OutputName.of(j.getJobId(), j.getAttributes()))
        .doesNotHaveDuplicates()
        .anyMatch(n -> n.startsWith("front-blue-de-"))
        .anyMatch(n -> n.startsWith("back-"));
  }

  @Test
  void shouldAskForTheLaneOfSubmitLaneAndForNoneWithoutIt() throws IOException {
    records("sku,images,instruction\nS1,front.jpg,plain\n");
    Manifest m = Manifests.read(dir.resolve("manifest.csv"));
    PlannedJob job =
        new JobPlanner(SubmitDefaults.basic().withTenant("acme"))
            .plan(m.rows(), m.baseDir())
            .jobs()
            .get(0);

    assertThat(JobRecords.toRecord(job, "b-1", "batch", Instant.EPOCH, null).getAttributes())
        .containsEntry("editstream.lane", "batch");
    assertThat(JobRecords.toRecord(job, "b-1", Instant.EPOCH, null).getAttributes())
        .doesNotContainKey("editstream.lane");
  }

  @Test
  void shouldNameARemoteSourceByTheLastPartOfItsPath() {
    assertThat(
            JobRecords.sourceName(
                new PlannedImage.Remote("https://cdn.example/p/IMG_7.jpg?w=800#x", ImageType.JPEG)))
        .isEqualTo("IMG_7.jpg");
  }
}
