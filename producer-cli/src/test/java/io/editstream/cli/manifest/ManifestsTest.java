package io.editstream.cli.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {
  private static final Path CSV = Path.of("m.csv");
  private static final Path JSONL = Path.of("m.jsonl");

  @Test
  void shouldReadQuotedCsvFieldsWithCommasQuotesAndNewlines() {
    String csv =
        "sku,images,instruction,locale\n"
            + "A1,a.png|b.png,\"remove the background, then add a shadow\",en|de\n"
            + "A2,c.png,\"say \"\"hello\"\"\nin two lines\",fr\n"
            + "A3,d.png,plain,it\n";
    Manifest m = Manifests.parse(CSV, csv, Manifests.Format.CSV);

    assertThat(m.problems()).isEmpty();
    assertThat(m.rows()).extracting(ManifestRow::line).containsExactly(2, 3, 5);
    ManifestRow first = m.rows().get(0);
    assertThat(first.text("instruction")).contains("remove the background, then add a shadow");
    assertThat(first.list("images")).containsExactly("a.png", "b.png");
    assertThat(first.isList("locale")).isTrue();
    assertThat(first.list("locale")).containsExactly("en", "de");
    assertThat(m.rows().get(1).text("instruction")).contains("say \"hello\"\nin two lines");
    assertThat(m.rows().get(2).text("sku")).contains("A3");
  }

  @Test
  void shouldSkipBlankLinesAndTreatBlankCellsAsAbsent() {
    String csv = "sku,images,model\n\nA1,a.png,\n\nA2,b.png,  m2 \n";
    Manifest m = Manifests.parse(CSV, csv, Manifests.Format.CSV);

    assertThat(m.problems()).isEmpty();
    assertThat(m.rows()).extracting(ManifestRow::line).containsExactly(3, 5);
    assertThat(m.rows().get(0).has("model")).isFalse();
    assertThat(m.rows().get(1).text("model")).contains("m2");
  }

  @Test
  void shouldReportACsvRowWithTooManyCellsWithItsLine() {
    String csv = "sku,images\nA1,a.png\nA2,b.png,extra\n";
    Manifest m = Manifests.parse(CSV, csv, Manifests.Format.CSV);

    assertThat(m.rows()).hasSize(1);
    assertThat(m.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.where()).isEqualTo("line 3"));
  }

  @Test
  void shouldReadJsonLinesWithArraysAndObjectsAndGoOnAfterABadLine() {
    String jsonl =
        "{\"sku\":\"A1\",\"images\":[\"a.png\",\"b.png\"],\"attributes\":{\"shop\":\"eu\"},\"size\":2048}\n"
            + "\n"
            + "{\"sku\": \"A2\", \"images\": \"c.png\"\n"
            + "[1,2]\n"
            + "{\"sku\":\"A3\",\"images\":\"d.png\",\"locale\":[\"en\",\"de\"],\"steps\":[\"one\",\"two\"]}\n";
    Manifest m = Manifests.parse(JSONL, jsonl, Manifests.Format.JSON_LINES);

    assertThat(m.rows()).extracting(ManifestRow::line).containsExactly(1, 5);
    assertThat(m.problems()).extracting(Problem::where).containsExactly("line 3", "line 4");
    ManifestRow first = m.rows().get(0);
    assertThat(first.list("images")).containsExactly("a.png", "b.png");
    assertThat(first.map("attributes")).isEqualTo(Map.of("shop", "eu"));
    assertThat(first.text("size")).contains("2048");
    ManifestRow last = m.rows().get(1);
    assertThat(last.isList("locale")).isTrue();
    assertThat(last.list("steps")).containsExactly("one", "two");
  }

  @Test
  void shouldParseAttributesAsJsonOrKeyValuePairs() {
    String csv =
        "sku,attributes\n"
            + "A1,\"{\"\"shop\"\":\"\"eu\"\",\"\"run\"\":7}\"\n"
            + "A2,shop=us; channel = web\n";
    Manifest m = Manifests.parse(CSV, csv, Manifests.Format.CSV);

    assertThat(m.rows().get(0).map("attributes")).isEqualTo(Map.of("shop", "eu", "run", "7"));
    assertThat(m.rows().get(1).map("attributes")).isEqualTo(Map.of("shop", "us", "channel", "web"));
  }

  @Test
  void shouldDetectTheFormatAndSkipAUtf8ByteOrderMark(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("catalogue.txt");
    Files.writeString(csv, "\uFEFFsku,images\nA1,a.png\n", StandardCharsets.UTF_8);
    Path jsonl = dir.resolve("catalogue.data");
    Files.writeString(jsonl, "{\"sku\":\"A1\"}\n", StandardCharsets.UTF_8);

    Manifest fromCsv = Manifests.read(csv);
    Manifest fromJson = Manifests.read(jsonl);

    assertThat(fromCsv.rows())
        .singleElement()
        .satisfies(r -> assertThat(r.columns()).isEqualTo(List.of("sku", "images")));
    assertThat(fromJson.rows())
        .singleElement()
        .satisfies(r -> assertThat(r.text("sku")).contains("A1"));
    assertThat(fromCsv.baseDir()).isEqualTo(dir.toAbsolutePath());
  }
}
