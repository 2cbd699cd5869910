package io.editstream.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  private static final String SAMPLE =
      "# HELP editstream_model_in_flight calls\n"
          + "# TYPE editstream_model_in_flight gauge\n"
          + "editstream_model_in_flight 12.0\n"
          + "editstream_jobs_outcome_total{cache_hit=\"false\",outcome=\"OK\"} 90.0\n"
          + "editstream_jobs_outcome_total{cache_hit=\"true\",outcome=\"OK\"} 10.0\n"
          + "editstream_jobs_outcome_total{cache_hit=\"false\",outcome=\"MODEL_UNAVAILABLE\"} 3.0\n"
          + "cache_gets_total{cache=\"editstream-results\",result=\"hit\"} 10.0\n"
          + "cache_gets_total{cache=\"editstream-results\",result=\"miss\"} 30.0\n"
          + "editstream_throttle_utilization{bucket=\"rpm\",pool=\"ai-studio\"} 0.875\n"
          + "editstream_model_tokens_total{kind=\"output\"} 74700.0 1700000000000\n"
          + "weird{label=\"a \\\"quoted\\\" value\"} 1\n"
          + "not a metric line\n";

  @Test
  void shouldParseNamesLabelsValuesAndSkipJunk() {
    PrometheusText m = PrometheusText.parse(SAMPLE);

    assertThat(m.sum("editstream_model_in_flight")).hasValue(12.0);
    assertThat(m.sum("editstream_jobs_outcome_total", l -> "OK".equals(l.get("outcome"))))
        .hasValue(100.0);
    assertThat(m.named("weird").get(0).labels()).containsEntry("label", "a \"quoted\" value");
    assertThat(m.sum("editstream_model_tokens_total")).hasValue(74700.0);
    assertThat(m.sum("absent")).isEmpty();
  }

  @Test
  void shouldShowInFlightOutcomesCacheRatioAndQuota() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StatusCommand.printMetrics(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), PrometheusText.parse(SAMPLE));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out)
        .contains("in flight      12 model calls")
        .contains("MODEL_UNAVAILABLE 3, OK 100 (10 from cache)")
        .contains("25.0 % (10 of 40 lookups)")
        .contains("pool ai-studio rpm: 87.5 % used");
  }
}
