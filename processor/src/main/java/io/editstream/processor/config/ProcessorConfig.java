package io.editstream.processor.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The processor's one typed configuration, parsed and validated at start-up. A bad setting stops
 * the process with a {@link ConfigException} naming the setting and what is accepted. The API key
 * never appears in {@link #toString()}.
 */
public record ProcessorConfig(
    Map<String, Object> kafka,
    Map<String, Object> registry,
    Topics topics,
    String applicationId,
    Path stateDir,
    int streamThreads,
    Model model,
    Retry retry,
    int pendingMaxPerTask,
    Path blobDir,
    int outputInlineMaxBytes,
    Input input,
    Cache cache,
    Pricing pricing,
    String httpHost,
    int httpPort) {

  /** The dedup cache (DESIGN.md §5). */
  public record Cache(long maxBytes, Duration ttl, boolean tenantIsolation) {}

  /** USD per million tokens, for the estimated cost on results. */
  public record Pricing(double inputPerMillion, double outputPerMillion) {}

  /** Topic names (prefix applied) and how to create missing ones. */
  public record Topics(
      String jobs,
      String results,
      String failures,
      String dlq,
      String cacheIndex,
      int partitions,
      short replication) {

    public List<String> all() {
      return List.of(jobs, results, failures, dlq);
    }
  }

  /** The model door. */
  public record Model(
      String defaultModel, String apiKey, String baseUrl, Duration timeout, int maxInFlight) {
    @Override
    public String toString() {
      return "Model[defaultModel=%s, apiKey=%s, baseUrl=%s, timeout=%s, maxInFlight=%d]"
          .formatted(defaultModel, apiKey == null ? "unset" : "***", baseUrl, timeout, maxInFlight);
    }
  }

  /** Retry policy of retryable model errors (DESIGN.md §7). */
  public record Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {}

  /** Where input images may come from. */
  public record Input(Path fileRoot, List<String> allowHosts, boolean allowPrivate) {}

  public static ProcessorConfig from(Settings s) {
    Map<String, Object> kafka = new HashMap<>();
    kafka.putAll(s.withPrefix("kafka."));
    kafka.put("bootstrap.servers", s.required("kafka.bootstrap.servers"));

    Map<String, Object> registry = new HashMap<>();
    registry.put("schema.registry.url", s.required("schema.registry.url"));
    s.withPrefix("schema.registry.")
        .forEach(
            (k, v) -> {
              if (!k.equals("url")) {
                registry.put(k, v);
              }
            });

    String prefix = s.string("topic.prefix");
    Topics topics =
        new Topics(
            prefix + s.required("topic.jobs"),
            prefix + s.required("topic.results"),
            prefix + s.required("topic.failures"),
            prefix + s.required("topic.dlq"),
            prefix + s.required("topic.cache"),
            s.integer("topic.partitions", 1, 10_000),
            (short) s.integer("topic.replication", -1, 32));
    if (topics.replication() == 0) {
      throw new ConfigException("topic.replication", "'0' is not accepted; use -1 or 1..32");
    }

    Model model =
        new Model(
            s.required("model.default"),
            apiKey(s),
            blankToNull(s.string("gemini.base.url")),
            s.millis("model.timeout.ms", 1_000, 3_600_000),
            s.integer("model.max.in.flight", 1, 10_000));

    Retry retry =
        new Retry(
            s.integer("retry.max.attempts", 1, 100),
            s.millis("retry.backoff.initial.ms", 1, 3_600_000),
            s.millis("retry.backoff.max.ms", 1, 86_400_000));
    if (retry.maxBackoff().compareTo(retry.initialBackoff()) < 0) {
      throw new ConfigException("retry.backoff.max.ms", "must be >= retry.backoff.initial.ms");
    }

    String root = blankToNull(s.string("input.file.root"));
    Input input =
        new Input(
            root == null ? null : Path.of(root),
            Arrays.stream(s.string("input.http.allow.hosts").split(","))
                .map(String::trim)
                .filter(h -> !h.isEmpty())
                .toList(),
            s.bool("input.http.allow.private"));

    return new ProcessorConfig(
        Map.copyOf(kafka),
        Map.copyOf(registry),
        topics,
        s.required("application.id"),
        Path.of(s.required("state.dir")),
        s.integer("stream.threads", 1, 64),
        model,
        retry,
        s.integer("pending.max.per.task", 1, 10_000_000),
        Path.of(s.required("blob.dir")),
        s.integer("output.inline.max.bytes", 0, 16 * 1024 * 1024),
        input,
        new Cache(
            s.longValue("cache.max.bytes", 0, Long.MAX_VALUE),
            s.millis("cache.ttl.ms", 1_000, 365L * 86_400_000),
            s.bool("cache.tenant.isolation")),
        new Pricing(
            s.decimal("price.input.per.million", 0, 1e6),
            s.decimal("price.output.per.million", 0, 1e6)),
        s.required("http.host"),
        s.integer("http.port", -1, 65_535));
  }

  private static String apiKey(Settings s) {
    String key = blankToNull(s.string("gemini.api.key"));
    String file = blankToNull(s.string("gemini.api.key.file"));
    if (key != null && file != null) {
      throw new ConfigException(
          "gemini.api.key.file", "set either GEMINI_API_KEY or GEMINI_API_KEY_FILE, not both");
    }
    if (file != null) {
      try {
        String content = Files.readString(Path.of(file)).lines().findFirst().orElse("").trim();
        if (content.isEmpty()) {
          throw new ConfigException("gemini.api.key.file", file + " is empty");
        }
        return content;
      } catch (IOException e) {
        throw new ConfigException(
            "gemini.api.key.file", "cannot read " + file + ": " + e.getClass().getSimpleName());
      }
    }
    if (key == null) {
      throw new ConfigException(
          "gemini.api.key",
          "is required: set GEMINI_API_KEY or GEMINI_API_KEY_FILE (any value works with the"
              + " emulator)");
    }
    return key;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public String toString() {
    Map<String, Object> safeKafka = new HashMap<>(kafka);
    safeKafka.replaceAll((k, v) -> k.contains("password") || k.contains("jaas") ? "***" : v);
    Map<String, Object> safeRegistry = new HashMap<>(registry);
    safeRegistry.replaceAll((k, v) -> k.contains("user.info") || k.contains("token") ? "***" : v);
    return "ProcessorConfig[kafka=%s, registry=%s, topics=%s, applicationId=%s, stateDir=%s,"
            .formatted(safeKafka, safeRegistry, topics, applicationId, stateDir)
        + " streamThreads=%d, model=%s, retry=%s, pendingMaxPerTask=%d, blobDir=%s, input=%s, http=%s:%d]"
            .formatted(
                streamThreads, model, retry, pendingMaxPerTask, blobDir, input, httpHost, httpPort);
  }
}
