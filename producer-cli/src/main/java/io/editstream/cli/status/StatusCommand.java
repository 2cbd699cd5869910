package io.editstream.cli.status;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code editstream status}: how far behind the processor is and what it is doing. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Show the processor's input lag (committed offsets of its consumer group on the jobs"
          + " topic against the topic's end) and, from its Prometheus endpoint, model calls in"
          + " flight, outcomes, cache hit ratio, quota use, tokens and cost.",
      "The counters are the processor instance's since it started (shown as 'counting since'):"
          + " they restart at zero when it restarts."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream status",
      "  editstream status --metrics-url http://processor-2:8080/metrics",
      "  editstream status --application-id shop-editor --topic-prefix shop."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:Kafka and the metrics endpoint answered",
      "2:usage error",
      "3:Kafka or the metrics endpoint unreachable (what could be read is still shown)"
    })
public final class StatusCommand implements Callable<Integer> {
  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  // Accepted for scripts that pass the same options to every command; not used, not listed.
  @Mixin RegistryOptions.Ignored registryIgnored;

  @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

  @Mixin FailuresTopicOption.Ignored failuresTopicIgnored;

  @Mixin JobsTopicOption jobsTopic;

  @Option(
      names = "--application-id",
      paramLabel = "ID",
      defaultValue = "editstream-processor",
      description =
          "The processor's application.id = its consumer group (default: ${DEFAULT-VALUE}).")
  String applicationId;

  @Option(
      names = "--metrics-url",
      paramLabel = "URL",
      defaultValue = "http://localhost:8080/metrics",
      description = "The processor's Prometheus endpoint (default: ${DEFAULT-VALUE}).")
  URI metricsUrl;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    if (metricsUrl.getScheme() == null
        || !(metricsUrl.getScheme().equals("http") || metricsUrl.getScheme().equals("https"))
        || metricsUrl.getHost() == null) {
      throw CliFailure.usage(
          "--metrics-url "
              + metricsUrl
              + " is not an http(s) URL; give the processor's, e.g."
              + " http://localhost:8080/metrics (its http.port)");
    }
    Connection conn = connection.resolve(ctx, jobsTopic);
    PrintStream out = ctx.out();
    boolean ok = true;
    try {
      printLag(out, lag(conn), conn);
    } catch (CliFailure e) {
      ok = false;
      out.println(row("input lag", "unknown: " + e.getMessage()));
    }
    try {
      printMetrics(out, PrometheusText.parse(fetch(conn)), ctx.clock().instant());
    } catch (CliFailure e) {
      ok = false;
      out.println(row("metrics", "unknown: " + e.getMessage()));
    }
    return ok ? ExitCodes.OK : ExitCodes.INFRA;
  }

  /** Lag per partition of the jobs topic; -1 marks a partition without a committed offset. */
  record Lag(Map<Integer, Long> byPartition, Map<Integer, Boolean> committed) {
    long total() {
      return byPartition.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private Lag lag(Connection conn) {
    String topic = conn.topics().jobs();
    try (Admin admin = Clients.admin(conn, "editstream-cli-status")) {
      Clients.checkReachable(admin, conn);
      long timeout = conn.timeout().toMillis();
      var description =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(timeout, TimeUnit.MILLISECONDS)
              .get(topic);
      List<TopicPartition> partitions = new ArrayList<>();
      description
          .partitions()
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      partitions.forEach(
          p -> {
            latest.put(p, OffsetSpec.latest());
            earliest.put(p, OffsetSpec.earliest());
          });
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(timeout, TimeUnit.MILLISECONDS);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
          admin.listOffsets(earliest).all().get(timeout, TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin
              .listConsumerGroupOffsets(applicationId)
              .partitionsToOffsetAndMetadata()
              .get(timeout, TimeUnit.MILLISECONDS);
      Map<Integer, Long> lag = new TreeMap<>();
      Map<Integer, Boolean> committed = new TreeMap<>();
      for (TopicPartition p : partitions) {
        OffsetAndMetadata at = offsets.get(p);
        long from = at == null ? starts.get(p).offset() : at.offset();
        lag.put(p.partition(), Math.max(0, ends.get(p).offset() - from));
        committed.put(p.partition(), at != null);
      }
      return new Lag(lag, committed);
    } catch (ExecutionException | TimeoutException e) {
      String hint =
          e.getCause() instanceof UnknownTopicOrPartitionException
              ? " (the processor's topics: set --topic-prefix or --jobs-topic)"
              : "";
      throw CliFailure.infra(
          "cannot read offsets of " + topic + ": " + EditstreamCli.rootMessage(e) + hint, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    }
  }

  private void printLag(PrintStream out, Lag lag, Connection conn) {
    out.println(row("input", conn.topics().jobs() + " (group " + applicationId + ")"));
    long uncommitted = lag.committed().values().stream().filter(c -> !c).count();
    String detail =
        lag.byPartition().size()
            + " partition(s)"
            + (uncommitted > 0
                ? ", " + uncommitted + " never committed (counted from the start)"
                : "");
    out.println(row("input lag", String.format(Locale.ROOT, "%,d jobs (%s)", lag.total(), detail)));
    if (lag.byPartition().size() > 1 && lag.byPartition().size() <= 24) {
      StringBuilder sb = new StringBuilder();
      lag.byPartition()
          .forEach(
              (p, n) -> sb.append(sb.length() == 0 ? "" : "  ").append(p).append(": ").append(n));
      out.println(row("  by partition", sb.toString()));
    }
  }

  private String fetch(Connection conn) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(conn.timeout()).build();
    HttpRequest request = HttpRequest.newBuilder(metricsUrl).timeout(conn.timeout()).GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw CliFailure.infra(
            metricsUrl
                + " answered HTTP "
                + response.statusCode()
                + " (set --metrics-url to the processor's http.port and /metrics)",
            null);
      }
      return response.body();
    } catch (IOException e) {
      throw CliFailure.infra(
          "cannot reach "
              + metricsUrl
              + ": "
              + EditstreamCli.ioReason(e)
              + " (set --metrics-url to the processor's http.port and /metrics)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage("--metrics-url " + metricsUrl + " is not an http(s) URL");
    }
  }

  static void printMetrics(PrintStream out, PrometheusText m, Instant now) {
    OptionalDouble started = m.sum("process_start_time_seconds");
    if (started.isPresent() && started.getAsDouble() > 0) {
      Instant since = Instant.ofEpochMilli((long) (started.getAsDouble() * 1000));
      out.println(
          row(
              "counting since",
              since.truncatedTo(ChronoUnit.SECONDS)
                  + " (processor up "
                  + age(Duration.between(since, now))
                  + "; counters restart with it)"));
    } else {
      out.println(
          row(
              "counting since",
              "the processor's start (unknown: no process_start_time_seconds at this endpoint)"));
    }
    out.println(row("in flight", number(m.sum("editstream_model_in_flight")) + " model calls"));
    Map<String, Double> outcomes = new TreeMap<>();
    double cacheHitOutcomes = 0;
    for (PrometheusText.Sample s : m.named("editstream_jobs_outcome_total")) {
      outcomes.merge(s.labels().getOrDefault("outcome", "?"), s.value(), Double::sum);
      if ("true".equals(s.labels().get("cache_hit"))) {
        cacheHitOutcomes += s.value();
      }
    }
    StringBuilder sb = new StringBuilder();
    outcomes.forEach(
        (k, v) ->
            sb.append(sb.length() == 0 ? "" : ", ")
                .append(k)
                .append(' ')
                .append(String.format(Locale.ROOT, "%,.0f", v)));
    out.println(
        row(
            "outcomes",
            outcomes.isEmpty()
                ? "none yet"
                : sb + String.format(Locale.ROOT, " (%,.0f from cache)", cacheHitOutcomes)));
    OptionalDouble hits = m.sum("cache_gets_total", l -> "hit".equals(l.get("result")));
    OptionalDouble all = m.sum("cache_gets_total");
    if (all.isPresent() && all.getAsDouble() > 0) {
      out.println(
          row(
              "cache hits",
              String.format(
                  Locale.ROOT,
                  "%.1f %% (%,.0f of %,.0f lookups)",
                  100 * hits.orElse(0) / all.getAsDouble(),
                  hits.orElse(0),
                  all.getAsDouble())));
    } else {
      out.println(row("cache hits", "no lookups yet"));
    }
    List<PrometheusText.Sample> utilization = m.named("editstream_throttle_utilization");
    if (utilization.isEmpty()) {
      out.println(row("quota", "not reported"));
    }
    for (PrometheusText.Sample s : utilization) {
      out.println(
          row(
              "quota",
              String.format(
                  Locale.ROOT,
                  "pool %s %s: %.1f %% used",
                  s.labels().getOrDefault("pool", "?"),
                  s.labels().getOrDefault("bucket", "?"),
                  100 * s.value())));
    }
    for (PrometheusText.Sample s : m.named("editstream_throttle_rate_factor")) {
      if (s.value() < 1.0) {
        out.println(
            row(
                "quota",
                String.format(
                    Locale.ROOT,
                    "pool %s slowed to %.0f %% after 429s",
                    s.labels().getOrDefault("pool", "?"),
                    100 * s.value())));
      }
    }
    OptionalDouble queued = m.sum("editstream_throttle_queued");
    if (queued.isPresent()) {
      out.println(row("waiting", number(queued) + " jobs for quota"));
    }
    OptionalDouble prompt =
        m.sum("editstream_model_tokens_total", l -> "prompt".equals(l.get("kind")));
    OptionalDouble output =
        m.sum("editstream_model_tokens_total", l -> "output".equals(l.get("kind")));
    OptionalDouble cost = m.sum("editstream_model_cost_usd_total");
    if (prompt.isPresent() || output.isPresent()) {
      out.println(
          row(
              "tokens",
              String.format(
                      Locale.ROOT, "prompt %,.0f, output %,.0f", prompt.orElse(0), output.orElse(0))
                  + (cost.isPresent()
                      ? String.format(Locale.ROOT, "; est. $%.2f", cost.getAsDouble())
                      : "")));
    }
  }

  /** 3d 4h, 2h 5m, 7m 12s, 40s. */
  static String age(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s >= 86_400) {
      return s / 86_400 + "d " + s % 86_400 / 3_600 + "h";
    }
    if (s >= 3_600) {
      return s / 3_600 + "h " + s % 3_600 / 60 + "m";
    }
    if (s >= 60) {
      return s / 60 + "m " + s % 60 + "s";
    }
    return s + "s";
  }

  private static String number(OptionalDouble v) {
    return v.isPresent() ? String.format(Locale.ROOT, "%,.0f", v.getAsDouble()) : "unknown";
  }

  private static String row(String label, String value) {
    return String.format(Locale.ROOT, "%-14s %s", label, value);
  }
}
