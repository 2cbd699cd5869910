package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.config.Setting;
import io.editstream.processor.config.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference is generated from {@link Settings#ALL}; this keeps the two
 * in step. When a setting changes, the failure message holds the new table (also written to {@code
 * demo/target/settings-table.md}) to paste between the README's {@code settings:begin/end} markers.
 */
class ConfigReferenceTest {
  static final String BEGIN =
      "<!-- settings:begin (generated from Settings.ALL; ConfigReferenceTest) -->\n";
  static final String END = "<!-- settings:end -->";

  /** The Markdown table of every processor setting. */
  static String table() {
    StringBuilder b = new StringBuilder();
    b.append("| setting (config file) | environment variable | default | meaning |\n");
    b.append("|---|---|---|---|\n");
    for (Setting s : Settings.ALL) {
      b.append("| `")
          .append(s.name())
          .append("` | `")
          .append(s.env())
          .append("` | ")
          .append(defaultValue(s))
          .append(" | ")
          .append(cell(s.doc()))
          .append(" |\n");
    }
    return b.toString();
  }

  private static String defaultValue(Setting s) {
    if (s.secret()) {
      return "(secret)";
    }
    String d = s.defaultValue();
    if (d == null) {
      return "(none)";
    }
    if (d.isEmpty()) {
      return "(empty)";
    }
    // The state directory's default depends on the machine's temp directory.
    String tmp = System.getProperty("java.io.tmpdir");
    if (d.startsWith(tmp + "/")) {
      d = "${java.io.tmpdir}" + d.substring(tmp.length());
    }
    return "`" + cell(d) + "`";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }

  @Test
  void shouldListEverySettingInTheReadme() throws Exception {
    String expected = table();
    Path generated = Path.of("target", "settings-table.md");
    Files.createDirectories(generated.getParent());
    Files.writeString(generated, expected, StandardCharsets.UTF_8);
    String readme = Files.readString(Repo.root().resolve("README.md"), StandardCharsets.UTF_8);
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    assertThat(begin).as("README.md has the settings:begin marker").isNotNegative();
    assertThat(end).as("README.md has the settings:end marker").isGreaterThan(begin);
    String actual = readme.substring(begin + BEGIN.length(), end);
    assertThat(actual)
        .as(
            "README.md's settings table is out of date; replace it with %s:%n%s",
            generated.toAbsolutePath(), expected)
        .isEqualTo(expected);
  }

  /** The brief's rule: two set-up commands at the top, and CI runs exactly the test command. */
  @Test
  void shouldGiveTheTwoSetUpCommandsThatCiAndTheBuildUse() throws Exception {
    String readme = Files.readString(Repo.root().resolve("README.md"), StandardCharsets.UTF_8);
    String setUp = readme.substring(0, readme.indexOf("## Architecture"));
    assertThat(setUp)
        .contains(
            "| Run the demo end to end | `mvn -B -q -DskipTests package && java -jar"
                + " demo/target/editstream-demo.jar` |")
        .contains("| Run the tests | `mvn -B verify` |");
    assertThat(Files.readString(Repo.root().resolve(".ci/run")))
        .containsPattern("(?m)^mvn -B verify$");
    // The jar the README runs is the one the demo module builds, with this main class.
    String pom = Files.readString(Repo.root().resolve("demo/pom.xml"));
    assertThat(pom)
        .contains("<finalName>editstream-demo</finalName>")
        .contains("<mainClass>" + DemoMain.class.getName() + "</mainClass>");
  }

  @Test
  void shouldEscapeTableCells() {
    assertThat(table().lines().skip(2))
        .allSatisfy(line -> assertThat(line.split("(?<!\\\\)\\|", -1)).hasSize(6));
  }
}
