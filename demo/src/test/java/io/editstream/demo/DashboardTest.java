package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * ops/grafana: the dashboard JSON parses, shows what operators need, and queries only metrics the
 * processor serves, through the data source Grafana is provisioned with.
 */
class DashboardTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final Path grafana = Repo.root().resolve("ops/grafana");

  private JsonNode dashboard() throws Exception {
    return JSON.readTree(grafana.resolve("editstream.json").toFile());
  }

  @Test
  void shouldShowWhatOperatorsWatch() throws Exception {
    JsonNode dashboard = dashboard();
    assertThat(dashboard.get("uid").asText()).isEqualTo("editstream");
    List<String> exprs = new ArrayList<>();
    dashboard
        .get("panels")
        .forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
    String all = String.join("\n", exprs);
    // calls/min vs quota, 429 share, in flight, queued, outcomes, DLQ, lag, cache, daily quota
    assertThat(all)
        .contains("editstream_throttle_limit{bucket=\"rpm\"}")
        .contains("outcome=\"quota_exhausted\"")
        .contains("editstream_model_in_flight")
        .contains("editstream_throttle_queued")
        .contains("sum by (outcome) (rate(editstream_jobs_outcome_total")
        .contains("editstream_jobs_dlq_total")
        .contains("kafka_consumer_fetch_manager_records_lag_max")
        .contains("cache_gets_total{result=\"hit\"}")
        .contains("editstream_throttle_used{bucket=\"rpd\"}");
  }

  @Test
  void shouldGiveEveryPanelAUniqueIdAPlaceAndAQuery() throws Exception {
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : dashboard().get("panels")) {
      String title = panel.get("title").asText();
      assertThat(ids.add(panel.get("id").asInt())).as("unique id: %s", title).isTrue();
      assertThat(panel.at("/gridPos/w").asInt()).as(title).isBetween(1, 24);
      assertThat(panel.at("/gridPos/h").asInt()).as(title).isPositive();
      assertThat(panel.get("targets")).as(title).isNotEmpty();
      panel.get("targets").forEach(t -> assertThat(t.get("expr").asText()).as(title).isNotBlank());
    }
  }

  @Test
  void shouldQueryOnlyMetricsTheProcessorServes() throws Exception {
    Set<String> unknown = new TreeSet<>();
    for (JsonNode panel : dashboard().get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        for (String name : MetricNames.in(target.get("expr").asText())) {
          if (!MetricNames.EXPOSED.contains(name) && !MetricNames.PROMETHEUS.contains(name)) {
            unknown.add(panel.get("title").asText() + ": " + name);
          }
        }
      }
    }
    assertThat(unknown).as("metrics not in MetricNames.EXPOSED").isEmpty();
  }

  @Test
  void shouldUseTheProvisionedDataSource() throws Exception {
    JsonNode source =
        YAML.readTree(grafana.resolve("provisioning/datasources/prometheus.yml").toFile())
            .at("/datasources/0");
    assertThat(source.get("type").asText()).isEqualTo("prometheus");
    assertThat(source.get("url").asText()).isEqualTo("http://prometheus:9090");
    String uid = source.get("uid").asText();
    for (JsonNode panel : dashboard().get("panels")) {
      assertThat(panel.at("/datasource/uid").asText())
          .as(panel.get("title").asText())
          .isEqualTo(uid);
      panel
          .get("targets")
          .forEach(t -> assertThat(t.at("/datasource/uid").asText()).isEqualTo(uid));
    }
  }

  @Test
  void shouldReadMetricNamesFromPromQl() {
    assertThat(
            MetricNames.in(
                "sum by (provider) (rate(editstream_provider_calls_total{outcome=\"a_b\"}[5m]))"
                    + " > 0.05 and on (instance) max_over_time(up{job=\"x\"}[5m]) == 0"
                    + " unless absent(kafka_x{client_id=~\".+-StreamThread-[0-9]+-consumer\"})"))
        .containsExactlyInAnyOrder("editstream_provider_calls_total", "up", "kafka_x");
  }
}
