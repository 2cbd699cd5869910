package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ops/prometheus/editstream-alerts.yml and its promtool unit tests. Always: every alert has a
 * severity, a summary, a description and a runbook, a test case where it fires and one where it
 * stays quiet, and a line in docs/operations.md. With {@code promtool} installed (Debian package
 * {@code prometheus}; .ci/run installs it): {@code promtool check rules} and {@code promtool test
 * rules} pass. Without it the promtool checks are skipped, except under CI, where they fail.
 */
class AlertRulesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String MISSING =
      "promtool not found: apt-get install prometheus (.ci/run installs it)";
  private final Path dir = Repo.root().resolve("ops/prometheus");
  private final Path rules = dir.resolve("editstream-alerts.yml");
  private final Path tests = dir.resolve("editstream-alerts.test.yml");

  @Test
  void shouldDescribeEveryAlertWithSeverityAndRunbook() throws Exception {
    List<JsonNode> alerts = alerts();
    assertThat(alerts).isNotEmpty();
    for (JsonNode alert : alerts) {
      String name = alert.get("alert").asText();
      assertThat(name).as("alert name").matches("Editstream[A-Z][A-Za-z]+");
      assertThat(alert.path("expr").asText()).as(name).isNotBlank();
      assertThat(alert.path("for").asText()).as("%s: for", name).matches("\\d+[smh]");
      assertThat(alert.at("/labels/severity").asText())
          .as("%s: severity", name)
          .isIn("warning", "critical");
      for (String annotation : List.of("summary", "description", "runbook")) {
        assertThat(alert.at("/annotations/" + annotation).asText())
            .as("%s: %s", name, annotation)
            .isNotBlank();
      }
    }
  }

  @Test
  void shouldTestEveryAlertFiringAndQuiet() throws Exception {
    JsonNode suite = YAML.readTree(tests.toFile());
    assertThat(suite.get("rule_files"))
        .extracting(JsonNode::asText)
        .contains(rules.getFileName().toString());
    Set<String> firing = new TreeSet<>();
    Set<String> quiet = new TreeSet<>();
    for (JsonNode test : suite.get("tests")) {
      for (JsonNode check : test.path("alert_rule_test")) {
        String name = check.get("alertname").asText();
        (check.path("exp_alerts").isEmpty() ? quiet : firing).add(name);
      }
    }
    Set<String> names = new TreeSet<>();
    alerts().forEach(a -> names.add(a.get("alert").asText()));
    assertThat(firing)
        .as("alerts with a firing case in %s", tests.getFileName())
        .containsAll(names);
    assertThat(quiet).as("alerts with a quiet case (exp_alerts: [])").containsAll(names);
    // A test of an alert that no longer exists is a typo or a leftover.
    assertThat(names).containsAll(firing).containsAll(quiet);
  }

  @Test
  void shouldUseOnlyMetricsTheProcessorServesOrDocumentsAsMissing() throws Exception {
    for (JsonNode alert : alerts()) {
      String name = alert.get("alert").asText();
      Set<String> used = MetricNames.in(alert.get("expr").asText());
      assertThat(used).as(name).isNotEmpty();
      for (String metric : used) {
        assertThat(
                MetricNames.EXPOSED.contains(metric)
                    || MetricNames.NOT_YET_EXPOSED.contains(metric)
                    || MetricNames.PROMETHEUS.contains(metric))
            .as("%s uses %s, which is not in MetricNames", name, metric)
            .isTrue();
        if (MetricNames.NOT_YET_EXPOSED.contains(metric)) {
          assertThat(Files.readString(rules)).contains("NOT YET EXPOSED: " + metric);
        }
      }
    }
  }

  @Test
  void shouldDocumentEveryAlertInOperations() throws Exception {
    String operations =
        Files.readString(Repo.root().resolve("docs/operations.md"), StandardCharsets.UTF_8);
    assertThat(operations).contains("## Alerts");
    for (JsonNode alert : alerts()) {
      assertThat(operations).contains("`" + alert.get("alert").asText() + "`");
    }
  }

  @Test
  void shouldPassPromtoolCheckRules() throws Exception {
    String out = promtool("check", "rules", rules.getFileName().toString());
    int count = 0;
    for (JsonNode group : YAML.readTree(rules.toFile()).get("groups")) {
      count += group.get("rules").size();
    }
    assertThat(out).contains("SUCCESS: " + count + " rules found");
  }

  @Test
  void shouldPassPromtoolUnitTests() throws Exception {
    String out = promtool("test", "rules", tests.getFileName().toString());
    assertThat(out).contains("SUCCESS").doesNotContain("FAILED");
  }

  private List<JsonNode> alerts() throws Exception {
    List<JsonNode> alerts = new ArrayList<>();
    for (JsonNode group : YAML.readTree(rules.toFile()).get("groups")) {
      group
          .get("rules")
          .forEach(
              rule -> {
                if (rule.has("alert")) { // recording rules have "record" instead
                  alerts.add(rule);
                }
              });
    }
    return alerts;
  }

  /** Runs promtool in ops/prometheus (test files name their rule files relative to themselves). */
  private String promtool(String... args) throws Exception {
    Optional<Path> binary = ComposeFileTest.onPath("promtool");
    if (binary.isEmpty() && System.getenv("CI") != null) {
      fail(MISSING + "; CI must not skip the alert rule tests");
    }
    assumeTrue(binary.isPresent(), MISSING);
    List<String> command = new ArrayList<>(List.of(binary.get().toString()));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(p.exitValue()).as("%s:%n%s", command, out).isZero();
    return out;
  }
}
