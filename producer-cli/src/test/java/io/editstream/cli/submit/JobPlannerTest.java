package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.TestImages;
import io.editstream.cli.manifest.Manifest;
import io.editstream.cli.manifest.Manifests;
import io.editstream.cli.manifest.Problem;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobPlannerTest {
  @TempDir Path dir;

  @BeforeEach
  void images() throws IOException {
    TestImages.copy(TestImages.JPEG, dir, "rocket.jpg");
    TestImages.copy(TestImages.PNG, dir, "cat.png");
    TestImages.copy(TestImages.WEBP, dir, "coffee.webp");
    TestImages.copy(TestImages.HEIC, dir, "coffee.heic");
  }

  private Plan plan(String csv, SubmitDefaults defaults) throws IOException {
    Path file = dir.resolve("manifest.csv");
    Files.writeString(file, csv, StandardCharsets.UTF_8);
    Manifest m = Manifests.read(file);
    assertThat(m.problems()).isEmpty();
    return new JobPlanner(defaults).plan(m.rows(), m.baseDir());
  }

  private Plan plan(String csv) throws IOException {
    return plan(csv, SubmitDefaults.basic());
  }

  @Test
  void shouldPlanAValidRowWithEverySetting() throws IOException {
    Plan plan =
        plan(
            "sku,images,instruction,steps,format,aspect_ratio,size,priority,model,tenant,bypass_cache,attributes\n"
                + "SKU-1,rocket.jpg|coffee.webp|coffee.heic,remove the background,add a shadow|crop,"
                + "jpg,4:5,2k,interactive,m-1,acme,yes,shop=eu\n");

    assertThat(plan.problems()).isEmpty();
    PlannedJob job = plan.jobs().get(0);
    assertThat(job.where()).isEqualTo("line 2");
    assertThat(job.sku()).isEqualTo("SKU-1");
    assertThat(job.tenant()).isEqualTo("acme");
    assertThat(job.images())
        .extracting(PlannedImage::type)
        .containsExactly(ImageType.JPEG, ImageType.WEBP, ImageType.HEIC);
    assertThat(job.images()).allMatch(i -> ((PlannedImage.LocalFile) i).inline());
    assertThat(job.steps()).containsExactly("add a shadow", "crop");
    assertThat(job.format()).isEqualTo(ImageFormat.JPEG);
    assertThat(job.aspectRatio()).isEqualTo("4:5");
    assertThat(job.size()).isEqualTo(ImageSize.SIZE_2K);
    assertThat(job.priority()).isEqualTo(Priority.INTERACTIVE);
    assertThat(job.model()).isEqualTo("m-1");
    assertThat(job.bypassCache()).isTrue();
    assertThat(job.attributes()).isEqualTo(Map.of("shop", "eu"));
    assertThat(job.jobId()).matches("[0-9a-f]{32}");
  }

  @Test
  void shouldReportEveryProblemOfEveryRowWithItsLineAndField() throws IOException {
    TestImages.hugeJpeg(dir, "huge.jpg", 21L * 1024 * 1024);
    Files.writeString(dir.resolve("notes.txt"), "not an image");
    String seventeen = String.join("|", java.util.Collections.nCopies(17, "rocket.jpg"));
    Plan plan =
        plan(
            "sku,images,instruction,format,size,priority,aspect_ratio,bypass_cache,tenant,attributes\n"
                + "ok,rocket.jpg,fine,png,1k,bulk,,,acme,\n" // line 2: fine
                + "A,missing.png,edit,,,,,,acme,\n" // line 3
                + "B,notes.txt,edit,,,,,,acme,\n" // line 4
                + "C,"
                + seventeen
                + ",edit,,,,,,acme,\n" // line 5
                + "D,,edit,,,,,,acme,\n" // line 6
                + "E,huge.jpg,edit,,,,,,acme,\n" // line 7
                + "F,rocket.jpg,   ,,,,,,acme,\n" // line 8
                + "G,rocket.jpg,edit,gif,3k,urgent,7:3,maybe,acme,\n" // line 9
                + "H,rocket.jpg,make it {{colour}},,,,,,acme,\n" // line 10
                + "I,rocket.jpg,edit,,,,,,,editstream.batch=x\n"); // line 11

    assertThat(plan.jobs()).isEmpty();
    Map<String, Set<String>> fieldsByLine =
        plan.problems().stream()
            .collect(
                Collectors.groupingBy(
                    Problem::where,
                    LinkedHashMap::new,
                    Collectors.mapping(Problem::field, Collectors.toSet())));
    assertThat(fieldsByLine)
        .containsExactly(
            Map.entry("line 3", Set.of("images")),
            Map.entry("line 4", Set.of("images")),
            Map.entry("line 5", Set.of("images")),
            Map.entry("line 6", Set.of("images")),
            Map.entry("line 7", Set.of("images")),
            Map.entry("line 8", Set.of("instruction")),
            Map.entry(
                "line 9", Set.of("format", "size", "priority", "aspect_ratio", "bypass_cache")),
            Map.entry("line 10", Set.of("instruction")),
            Map.entry("line 11", Set.of("tenant", "attributes")));
    assertThat(messages(plan, "line 3"))
        .anyMatch(m -> m.contains("file not found") && m.contains("missing.png"));
    assertThat(messages(plan, "line 4")).anyMatch(m -> m.contains("unsupported image type"));
    assertThat(messages(plan, "line 5")).anyMatch(m -> m.contains("17 images, at most 16"));
    assertThat(messages(plan, "line 6")).anyMatch(m -> m.contains("no images"));
    assertThat(messages(plan, "line 7"))
        .anyMatch(m -> m.contains("21.0 MiB") && m.contains("20.0 MiB"));
    assertThat(messages(plan, "line 8")).anyMatch(m -> m.contains("missing"));
    assertThat(messages(plan, "line 9"))
        .anyMatch(m -> m.contains("\"gif\"") && m.contains("png, jpeg, webp"));
    assertThat(messages(plan, "line 10")).anyMatch(m -> m.contains("{{colour}}"));
    assertThat(messages(plan, "line 11")).anyMatch(m -> m.contains("editstream.batch"));
  }

  private static List<String> messages(Plan plan, String where) {
    return plan.problems().stream()
        .filter(p -> p.where().equals(where))
        .map(Problem::message)
        .toList();
  }

  @Test
  void shouldFanOneImageOutToEveryLocale() throws IOException {
    List<String> locales =
        List.of(
            "en", "de", "fr", "it", "es", "nl", "pl", "pt", "sv", "da", "fi", "no", "cs", "hu",
            "ro", "el", "ja", "ko", "zh", "tr");
    SubmitDefaults defaults =
        SubmitDefaults.basic().withTenant("acme").withFanOut(Map.of("locale", locales));
    Plan plan =
        plan(
            "sku,images,instruction\nHERO,rocket.jpg,Add a sale banner in {{locale}} for {{sku}}\n",
            defaults);

    assertThat(plan.problems()).isEmpty();
    assertThat(plan.jobs()).hasSize(20);
    assertThat(plan.jobs()).extracting(PlannedJob::jobId).doesNotHaveDuplicates();
    assertThat(plan.jobs().get(1).instruction()).isEqualTo("Add a sale banner in de for HERO");
    assertThat(plan.jobs().get(1).attributes()).containsEntry("locale", "de");
    assertThat(plan.jobs().get(1).where()).isEqualTo("line 2 {locale=de}");
  }

  @Test
  void shouldExpandListColumnsAsTheirCartesianProduct() throws IOException {
    Plan plan =
        plan(
            "sku,images,instruction,tenant,colour,locale,note\n"
                + "S1,rocket.jpg,{{colour}} banner in {{locale}},acme,red|blue,en|de|fr,a|b\n");

    assertThat(plan.problems()).isEmpty();
    assertThat(plan.jobs())
        .extracting(PlannedJob::instruction)
        .containsExactly(
            "red banner in en",
            "red banner in de",
            "red banner in fr",
            "blue banner in en",
            "blue banner in de",
            "blue banner in fr");
    // "note" is used by no template: plain text, no fan-out.
    assertThat(plan.jobs().get(0).fanOut()).isEqualTo(Map.of("colour", "red", "locale", "en"));
  }

  @Test
  void shouldDeriveTheSameIdsFromTheSameManifest() throws IOException {
    String csv =
        "sku,images,instruction,tenant\nS1,rocket.jpg,edit one,acme\nS2,cat.png,edit two,acme\n";
    List<String> first = plan(csv).jobs().stream().map(PlannedJob::jobId).toList();
    List<String> second = plan(csv).jobs().stream().map(PlannedJob::jobId).toList();
    List<String> changed =
        plan(csv.replace("edit two", "edit 2")).jobs().stream().map(PlannedJob::jobId).toList();
    List<String> salted =
        plan(csv, SubmitDefaults.basic().withIdSalt("again")).jobs().stream()
            .map(PlannedJob::jobId)
            .toList();

    assertThat(second).isEqualTo(first);
    assertThat(changed.get(0)).isEqualTo(first.get(0));
    assertThat(changed.get(1)).isNotEqualTo(first.get(1));
    assertThat(salted).doesNotContainAnyElementsOf(first);
  }

  @Test
  void shouldIdentifyImagesByTheirBytesNotTheirNames() throws IOException {
    TestImages.copy(TestImages.JPEG, dir, "copy-of-rocket.jpg");
    Plan plan =
        plan(
            "sku,images,instruction,tenant\nS1,rocket.jpg,edit,acme\nS1,copy-of-rocket.jpg,edit,acme\n");

    assertThat(plan.jobs()).hasSize(1);
    assertThat(plan.duplicates()).isEqualTo(1);
  }

  @Test
  void shouldUseGivenJobIdsAndRejectDuplicatesOfThem() throws IOException {
    Plan ok = plan("sku,images,instruction,tenant,job_id\nS1,rocket.jpg,edit,acme,job-{{sku}}\n");
    Plan dup =
        plan(
            "sku,images,instruction,tenant,job_id\nS1,rocket.jpg,edit,acme,j1\nS2,cat.png,edit,acme,j1\n");

    assertThat(ok.jobs()).extracting(PlannedJob::jobId).containsExactly("job-S1");
    assertThat(dup.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.where()).isEqualTo("line 3");
              assertThat(p.field()).isEqualTo("job_id");
              assertThat(p.message()).contains("line 2");
            });
  }

  @Test
  void shouldSendLargeImagesByReferenceOnlyWithAClaimCheck() throws IOException {
    String csv = "sku,images,instruction,tenant\nS1,rocket.jpg|cat.png|coffee.webp,edit,acme\n";
    // rocket 112 KB, cat 240 KB, coffee.webp 38 KB; inline up to 200 KiB, 140 KiB per record.
    SubmitDefaults small = SubmitDefaults.basic().withInline(200 * 1024, 140 * 1024, true);
    SubmitDefaults noClaimCheck = SubmitDefaults.basic().withInline(200 * 1024, 140 * 1024, false);

    Plan plan = plan(csv, small);
    Plan rejected = plan(csv, noClaimCheck);

    assertThat(plan.problems()).isEmpty();
    assertThat(plan.jobs().get(0).images())
        .extracting(i -> ((PlannedImage.LocalFile) i).inline())
        .containsExactly(true, false, false);
    assertThat(rejected.problems())
        .extracting(Problem::message)
        .allMatch(m -> m.contains("--blob-dir"))
        .hasSize(2);
  }

  @Test
  void shouldPassUrlsThroughAndRejectOnesWithoutAType() throws IOException {
    Plan plan =
        plan(
            "sku,images,instruction,tenant\n"
                + "S1,https://cdn.example.com/p/shoe.webp,edit,acme\n"
                + "S2,https://cdn.example.com/p/shoe?id=4,edit,acme\n"
                + "S3,ftp://example.com/a.png,edit,acme\n");

    assertThat(plan.problems()).extracting(Problem::where).containsExactly("line 3", "line 4");
    Plan good =
        plan("sku,images,instruction,tenant\nS1,https://cdn.example.com/p/shoe.webp,edit,acme\n");
    assertThat(good.jobs().get(0).images())
        .containsExactly(
            new PlannedImage.Remote("https://cdn.example.com/p/shoe.webp", ImageType.WEBP));
  }

  @Test
  void shouldRefuseAFanOutThatMakesTooManyJobs() throws IOException {
    String many =
        String.join(
            "|", java.util.stream.IntStream.range(0, 40).mapToObj(Integer::toString).toList());
    Plan plan =
        plan(
            "sku,images,instruction,tenant,a,b\nS,rocket.jpg,{{a}}{{b}},acme,"
                + many
                + ","
                + many
                + "\n");

    assertThat(plan.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.field()).isEqualTo("fan-out"));
  }
}
