package io.editstream.cli.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:15:30Z");
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
        new PrintStream(bytes, true, StandardCharsets.UTF_8), PrometheusText.parse(SAMPLE), NOW);
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out)
        .contains("in flight      12 model calls")
        .contains("MODEL_UNAVAILABLE 3, OK 100 (10 from cache)")
        .contains("25.0 % (10 of 40 lookups)")
        .contains("pool ai-studio rpm: 87.5 % used");
  }

  @Test
  void shouldSayTheCountersCountSinceTheProcessorStarted() {
    // A restarted processor reports a later start time: its counters began again from zero then.
    String restarted = SAMPLE + "process_start_time_seconds 1.77235923E9\n";

    String out = print(restarted);

    assertThat(out)
        .contains("counting since 2026-03-01T10:00:30Z (processor up 15m 0s; counters restart")
        .startsWith("counting since");
  }

  @Test
  void shouldSayWhenTheStartTimeIsNotExposed() {
    assertThat(print(SAMPLE)).contains("counting since").contains("unknown");
  }

  @Test
  void shouldPrintUptimeInTheTwoLargestUnits() {
    assertThat(StatusCommand.age(java.time.Duration.ofSeconds(40))).isEqualTo("40s");
    assertThat(StatusCommand.age(java.time.Duration.ofSeconds(7 * 60 + 12))).isEqualTo("7m 12s");
    assertThat(StatusCommand.age(java.time.Duration.ofMinutes(125))).isEqualTo("2h 5m");
    assertThat(StatusCommand.age(java.time.Duration.ofHours(76))).isEqualTo("3d 4h");
  }

  private static String print(String text) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StatusCommand.printMetrics(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), PrometheusText.parse(text), NOW);
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
