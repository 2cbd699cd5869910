package io.editstream.demo;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus metric names the processor's /metrics serves, and a reader of the names a PromQL
 * expression uses, so that alert rules and the dashboard cannot refer to a metric that does not
 * exist (a typo there is an alert that never fires).
 */
final class MetricNames {
  private MetricNames() {}

  /**
   * Names read from a scrape of a running processor (ProcessorEndToEndTest), Micrometer's naming:
   * counters end in _total, timers in _seconds_count/_sum/_max. Add a name here when a rule or a
   * panel starts to use it, after checking /metrics.
   */
  static final Set<String> EXPOSED =
      Set.of(
          "editstream_jobs_in_total",
          "editstream_jobs_dlq_total",
          "editstream_jobs_outcome_total",
          // Checked on the scrape in the processor's JobMetricsWiringTest: the gauge is there once
          // a task is assigned, the counter only after a first safety block.
          "editstream_jobs_pending_oldest_age_seconds",
          "editstream_jobs_batch_oldest_age_seconds",
          "editstream_jobs_safety_blocked_total",
          "editstream_model_in_flight",
          // Checked on the scrape in producer-cli's CliTenantHoldEndToEndTest.
          "editstream_tenant_held",
          // Checked on the scrape in the processor's ModelLifecycleEndToEndTest.
          "editstream_model_not_found_total",
          "editstream_provider_calls_total",
          "editstream_provider_circuit_state",
          "editstream_provider_available",
          "editstream_throttle_queued",
          "editstream_throttle_used",
          "editstream_throttle_limit",
          "editstream_throttle_utilization",
          // Checked on the scrape in the processor's PerDayQuotaEndToEndTest.
          "editstream_throttle_held_until_seconds",
          "editstream_throttle_wait_seconds_sum",
          "editstream_throttle_wait_seconds_count",
          "cache_gets_total",
          "kafka_consumer_fetch_manager_records_lag_max");

  /**
   * Metrics a rule may use before the processor serves them, each named in docs/operations.md,
   * "Alerts", and marked "NOT YET EXPOSED: name" in the rules file. None at the moment.
   */
  static final Set<String> NOT_YET_EXPOSED = Set.of();

  /** Series Prometheus itself makes: scrape health and the alerts' own state. */
  static final Set<String> PROMETHEUS = Set.of("up", "ALERTS");

  private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*\\}|\\[[^\\]]*\\]");
  private static final Pattern LABEL_LISTS =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w(])(?!\\s*\\()");
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN");

  /** The metric names in {@code expr}: identifiers that are not functions, labels or keywords. */
  static Set<String> in(String expr) {
    String s = STRINGS.matcher(expr).replaceAll("\"\"");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = LABEL_LISTS.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      if (!KEYWORDS.contains(m.group(1))) {
        names.add(m.group(1));
      }
    }
    return names;
  }
}
