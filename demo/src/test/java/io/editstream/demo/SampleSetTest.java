package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.schema.EditJob;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SampleSetTest {

  @Test
  void shouldHaveUniqueJobIdsAndBundledImages() {
    Set<String> ids = new HashSet<>();
    for (SampleJob job : SampleSet.JOBS) {
      assertThat(ids.add(job.jobId())).as("unique id %s", job.jobId()).isTrue();
      assertThat(SampleSet.image(job.image())).as(job.image()).hasSizeGreaterThan(1000);
    }
  }

  @Test
  void shouldMatchTheExpectedCountsItPublishes() {
    // Identical (tenant, image, instruction, steps, output) after the first are cache hits.
    Map<List<Object>, Long> groups =
        SampleSet.JOBS.stream()
            .collect(
                java.util.stream.Collectors.groupingBy(
                    j ->
                        List.of(
                            j.tenant(),
                            j.image(),
                            j.instruction(),
                            j.steps(),
                            j.size(),
                            j.format()),
                    java.util.stream.Collectors.counting()));
    long duplicates = groups.values().stream().mapToLong(n -> n - 1).sum();
    assertThat(duplicates).isEqualTo(SampleSet.EXPECTED_CACHE_HITS);
    long blocked = SampleSet.JOBS.stream().filter(j -> j.instruction().contains("block=")).count();
    assertThat(SampleSet.JOBS.size() - blocked).isEqualTo(SampleSet.EXPECTED_RESULTS);
  }

  @Test
  void shouldLeaveEmulatorMarkersOutForARealApi() {
    List<SampleJob> real = SampleSet.jobs(false);
    assertThat(real).isNotEmpty().noneMatch(j -> j.instruction().contains("[emulator:"));
    assertThat(SampleSet.jobs(true)).isEqualTo(SampleSet.JOBS);
  }

  @Test
  void shouldRejectAnUnknownImageByName() {
    assertThatThrownBy(() -> SampleSet.image("../../etc/passwd"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image must be one of");
  }

  @Test
  void shouldBuildEditJobsFromSamples() {
    Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
    SampleJob cat =
        SampleSet.JOBS.stream().filter(j -> j.jobId().equals("cat-studio")).findFirst().get();
    EditJob job = JobSubmitter.toEditJob(cat, Photos.bundled(), "batch-1", clock.instant());
    assertThat(job.getJobId()).isEqualTo("cat-studio");
    assertThat(job.getSku()).isEqualTo(cat.sku());
    assertThat(job.getImages()).hasSize(1);
    assertThat(job.getImages().get(0).getMimeType()).isEqualTo("image/png");
    assertThat(job.getImages().get(0).getData().remaining())
        .isEqualTo(SampleSet.image("chelsea.png").length);
    assertThat(job.getSteps())
        .extracting(s -> s.getInstruction())
        .containsExactly(cat.steps().get(0));
    assertThat(job.getSubmittedAt()).isEqualTo(clock.instant());
    assertThat(job.getAttributes())
        .containsEntry(io.editstream.cli.listen.BatchTracker.BATCH, "batch-1");
  }
}
