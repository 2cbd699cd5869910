package io.editstream.processor.config;

import io.editstream.processor.model.ModelIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The processor's one typed configuration, parsed and validated at start-up. A bad setting stops
 * the process with a {@link ConfigException} naming the setting and what is accepted. API keys and
 * the S3 credentials never appear in {@link #toString()}.
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
    boolean directJobIdKeys,
    Blob blob,
    int outputInlineMaxBytes,
    Input input,
    Cache cache,
    Pricing pricing,
    String httpHost,
    int httpPort,
    String httpAdvertisedHost,
    String instanceId,
    Quota quota,
    Providers providers,
    int maxMessageBytes,
    TenantCaps tenantCaps,
    SafetyStrikes safetyStrikes,
    Batch batch) {

  /**
   * The batch lane (issue 18): {@code batch.*}.
   *
   * @param lane {@code batch.lane}: {@code off}, {@code bulk} (BULK jobs go by batch, unless they
   *     ask for the online lane) or {@code per-job} (only jobs that ask for the batch lane)
   * @param failOnBatchFailure {@code batch.on.batch.failure=fail}
   * @param deadline {@code batch.deadline.ms}
   * @param failOnDeadline {@code batch.on.deadline=fail}
   * @param quotaEnqueuedRequests {@code batch.quota.enqueued.requests}, 0 = no limit
   * @param quotaEnqueuedTokens {@code batch.quota.enqueued.tokens}, 0 = no limit
   */
  public record Batch(
      String lane,
      int maxRequests,
      Duration maxWait,
      Duration pollInterval,
      boolean failOnBatchFailure,
      long inlineMaxBytes,
      Duration deadline,
      boolean failOnDeadline,
      long quotaEnqueuedRequests,
      long quotaEnqueuedTokens) {

    /** The lane is on: some jobs go by batch. */
    public boolean on() {
      return !lane.equals("off");
    }

    /** {@code batch.lane=per-job}: only jobs asking for it go by batch. */
    public boolean perJob() {
      return lane.equals("per-job");
    }
  }

  /**
   * Per-tenant daily caps on the shared model account (issue 19.1); null values mean no cap.
   *
   * @param usdPerDay budget in USD per Pacific day, by tenant
   * @param defaultUsdPerDay budget of tenants not listed
   * @param requestsPerDay model requests per Pacific day, by tenant
   * @param defaultRequestsPerDay requests of tenants not listed
   * @param failOverCap {@code tenant.cap.action=fail}: a job over a cap fails instead of waiting
   */
  public record TenantCaps(
      Map<String, Double> usdPerDay,
      Double defaultUsdPerDay,
      Map<String, Long> requestsPerDay,
      Long defaultRequestsPerDay,
      boolean failOverCap) {
    public TenantCaps {
      usdPerDay = Map.copyOf(usdPerDay);
      requestsPerDay = Map.copyOf(requestsPerDay);
    }
  }

  /**
   * Holding a tenant after repeated safety blocks (issue 19.2, docs/operations.md, "Safety
   * strikes").
   *
   * @param threshold safety outcomes (PROMPT_BLOCKED, IMAGE_SAFETY) of one tenant within {@code
   *     window} that hold it; 0 = never
   * @param window the sliding window they are counted in
   * @param action what a held tenant's jobs do
   */
  public record SafetyStrikes(int threshold, Duration window, Action action) {
    /** Never holds by strikes (a hold written by hand on the holds topic still applies). */
    public static final SafetyStrikes OFF = new SafetyStrikes(0, Duration.ofHours(1), Action.HOLD);

    /** What a held tenant's jobs do. */
    public enum Action {
      /** Wait in the pending store, without a model call or quota, until the release. */
      HOLD,
      /** End at once as TENANT_SUSPENDED, without a model call. */
      FAIL
    }

    public SafetyStrikes {
      if (threshold < 0) {
        throw new IllegalArgumentException("threshold must be >= 0 but was " + threshold);
      }
      if (window == null || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("window must be positive but was " + window);
      }
      java.util.Objects.requireNonNull(action, "action");
    }

    /** Whether strikes are counted at all. */
    public boolean counting() {
      return threshold > 0;
    }
  }

  /** The providers in failover order and what each needs (DESIGN.md §8a). */
  public record Providers(
      List<String> order,
      String vertexProject,
      String vertexLocation,
      Path vertexCredentialsFile,
      String vertexBaseUrl,
      String wavespeedApiKey,
      String wavespeedBaseUrl,
      String wavespeedModelPath,
      Duration wavespeedPollInitial,
      Duration wavespeedPollMax,
      Duration failoverRetryDelay,
      int circuitFailures,
      Duration circuitCoolDown,
      double wavespeedPricePerImage) {

    public static final List<String> KNOWN = List.of("ai-studio", "vertex", "wavespeed");

    @Override
    public String toString() {
      return "Providers[order=%s, vertexProject=%s, vertexLocation=%s, wavespeedApiKey=%s]"
          .formatted(
              order, vertexProject, vertexLocation, wavespeedApiKey == null ? "unset" : "***");
    }
  }

  /**
   * The limits of one quota pool (one model), for the whole pool across all instances; {@code 0} =
   * unlimited. {@code burst} is at least 1 and below {@code rpm} when rpm is limited.
   */
  public record PoolLimits(long rpm, long ipm, long tpm, long rpd, long burst) {
    public static final PoolLimits UNLIMITED = new PoolLimits(0, 0, 0, 0, 1);

    public boolean unlimited() {
      return rpm == 0 && ipm == 0 && tpm == 0 && rpd == 0;
    }
  }

  /**
   * Quota pools by provider and model (DESIGN.md §4, §8a). Pools without an entry are not
   * throttled.
   *
   * @param pools AI Studio's limits by model id ({@code quota.*}, {@code quota.model.*}, and {@code
   *     provider.ai-studio.quota.*} for the default model)
   * @param providerPools limits of the default model at the other providers ({@code
   *     provider.<name>.quota.*}), by provider name
   * @param defaultModel the model {@code quota.*} and {@code provider.<name>.quota.*} apply to
   * @param window the server's rolling window plus jitter slack
   * @param tenantWeights weights for fair sharing, by tenant
   * @param defaultTenantWeight weight of unlisted tenants
   * @param queueMax jobs that may wait for quota per instance, model and lane
   */
  public record Quota(
      Map<String, PoolLimits> pools,
      Map<String, PoolLimits> providerPools,
      String defaultModel,
      Duration window,
      Map<String, Double> tenantWeights,
      double defaultTenantWeight,
      int queueMax) {
    public Quota {
      pools = Map.copyOf(pools);
      providerPools = Map.copyOf(providerPools);
      tenantWeights = Map.copyOf(tenantWeights);
    }

    /** No pool limited: what the tests and the demo run with by default. */
    public static Quota unlimited() {
      return new Quota(
          Map.of(),
          Map.of(),
          "gemini-3.1-flash-image-preview",
          Duration.ofMillis(60_500),
          Map.of(),
          1.0,
          100_000);
    }

    /** The limits of {@code model} at AI Studio. */
    public PoolLimits limitsOf(String model) {
      return pools.getOrDefault(model, PoolLimits.UNLIMITED);
    }

    /**
     * The limits of {@code model} at {@code provider}: AI Studio's from {@link #pools}; another
     * provider's from {@link #providerPools} for the default model, unlimited for other models.
     */
    public PoolLimits limitsOf(String model, String provider) {
      if (AI_STUDIO.equals(provider)) {
        return limitsOf(model);
      }
      return model.equals(defaultModel)
          ? providerPools.getOrDefault(provider, PoolLimits.UNLIMITED)
          : PoolLimits.UNLIMITED;
    }
  }

  /** The provider whose pools {@code quota.*} configures. */
  public static final String AI_STUDIO = "ai-studio";

  /**
   * The dedup cache (DESIGN.md §5).
   *
   * @param maxBytes heap the cache may use: {@code cache.max.bytes}, else {@link
   *     #defaultMaxBytes(long)} of this JVM's heap
   * @param maxBytesFromHeap whether {@code maxBytes} was derived from the heap ({@code
   *     cache.max.bytes} not set)
   */
  public record Cache(
      long maxBytes, boolean maxBytesFromHeap, Duration ttl, boolean tenantIsolation) {
    /** The least bound derived from the heap: below it the cache would hardly ever hit. */
    public static final long MIN_DEFAULT_MAX_BYTES = 16L * 1024 * 1024;

    /** The greatest bound derived from the heap (the fixed default before it followed the heap). */
    public static final long MAX_DEFAULT_MAX_BYTES = 256L * 1024 * 1024;

    /**
     * The bound when {@code cache.max.bytes} is not set: 1/8 of {@code heapBytes} (as {@link
     * Runtime#maxMemory()} reports it), at least 16 MiB and at most 256 MiB. A fixed 256 MiB took
     * half of a 512 MiB heap.
     */
    public static long defaultMaxBytes(long heapBytes) {
      return Math.max(MIN_DEFAULT_MAX_BYTES, Math.min(MAX_DEFAULT_MAX_BYTES, heapBytes / 8));
    }
  }

  /** USD per million tokens, for the estimated cost on results. */
  public record Pricing(double inputPerMillion, double outputPerMillion) {}

  /** Topic names (prefix applied) and how to create missing ones. */
  public record Topics(
      String jobs,
      String results,
      String failures,
      String dlq,
      String cancel,
      String holds,
      String cacheIndex,
      int partitions,
      short replication) {

    public List<String> all() {
      return List.of(jobs, results, failures, dlq, cancel);
    }
  }

  /**
   * The model door.
   *
   * @param ids {@code model.default} and the {@code model.alias.<name>} settings: which model id a
   *     job runs on
   */
  public record Model(
      ModelIds ids, String apiKey, String baseUrl, Duration timeout, int maxInFlight) {

    /** The model id of a job that names none ({@code model.default}, alias resolved). */
    public String defaultModel() {
      return ids.defaultModel();
    }

    @Override
    public String toString() {
      return "Model[ids=%s, apiKey=%s, baseUrl=%s, timeout=%s, maxInFlight=%d]"
          .formatted(ids, apiKey == null ? "unset" : "***", baseUrl, timeout, maxInFlight);
    }
  }

  /**
   * Where finished images and spilled undecodable records are stored (DESIGN.md §6, §13).
   *
   * @param store {@code local} or {@code s3}
   * @param dir the local store's directory
   * @param s3 the S3 store; null unless {@code store} is {@code s3}
   * @param retention how long the local store keeps a finished image after it was last written;
   *     zero keeps them forever (an S3 bucket's retention is its lifecycle rule)
   */
  public record Blob(String store, Path dir, S3 s3, Duration retention) {
    public static final String LOCAL = "local";
    public static final String S3 = "s3";
    public static final List<String> STORES = List.of(LOCAL, S3);
  }

  /**
   * An S3-compatible bucket.
   *
   * @param region null: the AWS SDK's region chain decides
   * @param endpoint null: AWS S3
   * @param accessKey with {@code secretKey}; both null: the AWS SDK's default credentials chain
   * @param presignTtl zero: results carry no presigned URL
   */
  public record S3(
      String bucket,
      String prefix,
      String region,
      java.net.URI endpoint,
      boolean pathStyle,
      String accessKey,
      String secretKey,
      Duration presignTtl) {
    @Override
    public String toString() {
      return ("S3[bucket=%s, prefix=%s, region=%s, endpoint=%s, pathStyle=%s, accessKey=%s,"
              + " secretKey=%s, presignTtl=%s]")
          .formatted(
              bucket,
              prefix,
              region,
              endpoint,
              pathStyle,
              accessKey == null ? "unset" : "***",
              secretKey == null ? "unset" : "***",
              presignTtl);
    }
  }

  /** Retry policy of retryable model errors (DESIGN.md §7). */
  public record Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {}

  /**
   * Where input images may come from, and how long an http(s) fetch may take.
   *
   * @param allowedBuckets buckets {@code s3://} inputs may name, read with the {@code blob.s3.*}
   *     connection (empty: s3: inputs are refused)
   */
  public record Input(
      Path fileRoot,
      List<String> allowHosts,
      boolean allowPrivate,
      Duration connectTimeout,
      Duration fetchTimeout,
      int maxRedirects,
      List<String> allowedBuckets) {}

  public static ProcessorConfig from(Settings s) {
    Map<String, Object> kafka = new HashMap<>();
    kafka.putAll(s.withPrefix("kafka."));
    kafka.put("bootstrap.servers", s.hostPorts("kafka.bootstrap.servers"));

    Map<String, Object> registry = new HashMap<>();
    String registryUrl = s.required("schema.registry.url");
    // mock://NAME is the serde's in-memory registry (tests, single-JVM tools).
    registry.put(
        "schema.registry.url",
        registryUrl.startsWith("mock://")
            ? registryUrl
            : requiredHttpUrl(s, "schema.registry.url", true));
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
            prefix + s.required("topic.cancel"),
            prefix + s.required("topic.holds"),
            prefix + s.required("topic.cache"),
            s.integer("topic.partitions", 1, 10_000),
            (short) s.integer("topic.replication", -1, 32));
    if (topics.replication() == 0) {
      throw new ConfigException("topic.replication", "'0' is not accepted; use -1 or 1..32");
    }

    Providers providers = providers(s);
    Model model =
        new Model(
            modelIds(s),
            providers.order().contains("ai-studio") ? apiKey(s) : null,
            s.httpUrl("gemini.base.url", false),
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
            s.bool("input.http.allow.private"),
            s.millis("input.http.connect.timeout.ms", 100, 600_000),
            s.millis("input.http.timeout.ms", 100, 3_600_000),
            s.integer("input.http.max.redirects", 0, 20),
            Arrays.stream(s.string("input.s3.allowed.buckets").split(","))
                .map(String::trim)
                .filter(b -> !b.isEmpty())
                .toList());
    Blob blob = blob(s);
    if (!input.allowedBuckets().isEmpty() && blob.s3() == null) {
      throw new ConfigException(
          "input.s3.allowed.buckets",
          "s3:// inputs are read with the blob.s3.* connection: set blob.store=s3 (and"
              + " blob.s3.bucket) too, or leave input.s3.allowed.buckets empty");
    }
    String cacheMaxBytes = s.string("cache.max.bytes");
    boolean cacheFromHeap = cacheMaxBytes == null || cacheMaxBytes.isBlank();

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
        s.bool("jobs.direct.when.keyed.by.jobid"),
        blob,
        s.integer("output.inline.max.bytes", 0, 16 * 1024 * 1024),
        input,
        new Cache(
            cacheFromHeap
                ? Cache.defaultMaxBytes(Runtime.getRuntime().maxMemory())
                : s.longValue("cache.max.bytes", 1, Long.MAX_VALUE),
            cacheFromHeap,
            s.millis("cache.ttl.ms", 1_000, 365L * 86_400_000),
            s.bool("cache.tenant.isolation")),
        new Pricing(
            s.decimal("price.input.per.million", 0, 1e6),
            s.decimal("price.output.per.million", 0, 1e6)),
        s.required("http.host"),
        s.integer("http.port", -1, 65_535),
        s.string("http.advertised.host").trim(),
        instanceId(s),
        quota(s, model.ids()),
        providers,
        s.integer("topic.max.message.bytes", 1_048_576, 268_435_456),
        tenantCaps(s),
        safetyStrikes(s),
        batch(s, providers));
  }

  /** {@code instance.id}: a static group member's name (Kafka's group.instance.id rules). */
  private static String instanceId(Settings s) {
    String id = s.string("instance.id");
    id = id == null ? "" : id.trim();
    if (!id.matches("[A-Za-z0-9._-]{0,200}")) {
      throw new ConfigException(
          "instance.id",
          "'"
              + id
              + "' may hold only letters, digits, '.', '_' and '-' (at most 200), e.g. the pod's"
              + " or the host's name");
    }
    return id;
  }

  private static Batch batch(Settings s, Providers providers) {
    String lane = s.required("batch.lane").trim();
    if (!lane.equals("off") && !lane.equals("bulk") && !lane.equals("per-job")) {
      throw new ConfigException("batch.lane", "'" + lane + "' is not one of: off, bulk, per-job");
    }
    if (!lane.equals("off") && !providers.order().contains("ai-studio")) {
      throw new ConfigException(
          "batch.lane",
          lane
              + " needs the ai-studio provider (the Gemini Batch API); add it to the providers or"
              + " set batch.lane=off");
    }
    String onFailure = s.required("batch.on.batch.failure").trim();
    if (!onFailure.equals("online") && !onFailure.equals("fail")) {
      throw new ConfigException(
          "batch.on.batch.failure", "'" + onFailure + "' is not one of: online, fail");
    }
    String onDeadline = s.required("batch.on.deadline").trim();
    if (!onDeadline.equals("online") && !onDeadline.equals("fail")) {
      throw new ConfigException(
          "batch.on.deadline", "'" + onDeadline + "' is not one of: online, fail");
    }
    return new Batch(
        lane,
        s.integer("batch.max.requests", 1, 100_000),
        s.millis("batch.max.wait.ms", 0, 86_400_000),
        s.millis("batch.poll.interval.ms", 10, 86_400_000),
        onFailure.equals("fail"),
        s.longValue("batch.inline.max.bytes", 0, 20_000_000),
        s.millis("batch.deadline.ms", 1_000, 30L * 86_400_000),
        onDeadline.equals("fail"),
        s.longValue("batch.quota.enqueued.requests", 0, 1_000_000_000),
        s.longValue("batch.quota.enqueued.tokens", 0, 1_000_000_000_000L));
  }

  private static TenantCaps tenantCaps(Settings s) {
    String action = s.required("tenant.cap.action").trim();
    if (!action.equals("hold") && !action.equals("fail")) {
      throw new ConfigException("tenant.cap.action", "'" + action + "' is not one of: hold, fail");
    }
    return new TenantCaps(
        tenantMap(s, "tenant.budget.usd.per.day", "usd", "acme:25,beta:2.5", 0, 1e9),
        optionalDecimal(s, "tenant.budget.default.usd.per.day", 0, 1e9),
        longs(tenantMap(s, "tenant.requests.per.day", "requests", "acme:5000,beta:200", 0, 1e12)),
        s.string("tenant.requests.default.per.day") == null
                || s.string("tenant.requests.default.per.day").isBlank()
            ? null
            : s.longValue("tenant.requests.default.per.day", 0, 1_000_000_000_000L),
        action.equals("fail"));
  }

  private static Double optionalDecimal(Settings s, String name, double min, double max) {
    String v = s.string(name);
    return v == null || v.isBlank() ? null : s.decimal(name, min, max);
  }

  private static Map<String, Long> longs(Map<String, Double> in) {
    Map<String, Long> out = new HashMap<>();
    in.forEach(
        (k, v) -> {
          if (v != Math.rint(v)) {
            throw new ConfigException(
                "tenant.requests.per.day",
                "requests of tenant '" + k + "' must be a whole number but was " + v);
          }
          out.put(k, v.longValue());
        });
    return out;
  }

  static SafetyStrikes safetyStrikes(Settings s) {
    int threshold = s.integer("safety.strikes.threshold", 0, 10_000);
    Duration window =
        s.duration("safety.strikes.window", Duration.ofSeconds(1), Duration.ofDays(30));
    String action = s.required("safety.strikes.action").trim().toLowerCase(Locale.ROOT);
    return switch (action) {
      case "hold" -> new SafetyStrikes(threshold, window, SafetyStrikes.Action.HOLD);
      case "fail" -> new SafetyStrikes(threshold, window, SafetyStrikes.Action.FAIL);
      default ->
          throw new ConfigException(
              "safety.strikes.action",
              "'" + s.string("safety.strikes.action") + "' is not accepted; accepted hold or fail");
    };
  }

  private static final java.util.regex.Pattern BUCKET =
      java.util.regex.Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final java.util.regex.Pattern KEY_PREFIX =
      java.util.regex.Pattern.compile("([A-Za-z0-9._-]+/)*[A-Za-z0-9._-]*");

  /**
   * blob.retention.ms; when set, it must outlast cache.ttl.ms so no cache entry outlives its image.
   */
  private static Duration retention(Settings s) {
    Duration retention = s.millis("blob.retention.ms", 0, 3650L * 86_400_000);
    Duration ttl = s.millis("cache.ttl.ms", 1_000, 365L * 86_400_000);
    if (!retention.isZero() && retention.compareTo(ttl) < 0) {
      throw new ConfigException(
          "blob.retention.ms",
          retention.toMillis()
              + " is shorter than cache.ttl.ms ("
              + ttl.toMillis()
              + "): cached answers would name deleted images; set it to at least cache.ttl.ms"
              + " plus the longest delay of a consumer, or 0 to keep images forever");
    }
    return retention;
  }

  static Blob blob(Settings s) {
    String store = s.required("blob.store").trim().toLowerCase(Locale.ROOT);
    if (!Blob.STORES.contains(store)) {
      throw new ConfigException(
          "blob.store",
          "'" + s.string("blob.store") + "' is not accepted; accepted " + Blob.STORES);
    }
    Path dir = Path.of(s.required("blob.dir"));
    if (store.equals(Blob.LOCAL)) {
      return new Blob(store, dir, null, retention(s));
    }
    String bucket = s.string("blob.s3.bucket");
    if (bucket == null || bucket.isBlank()) {
      throw new ConfigException(
          "blob.s3.bucket",
          "is required with blob.store=s3 (set it in the config file or as "
              + Setting.envOf("blob.s3.bucket")
              + ")");
    }
    bucket = bucket.trim();
    if (!BUCKET.matcher(bucket).matches()) {
      throw new ConfigException(
          "blob.s3.bucket",
          "'"
              + bucket
              + "' is not a bucket name; accepted 3-63 lowercase letters, digits, dots and hyphens");
    }
    String prefix = s.string("blob.s3.prefix") == null ? "" : s.string("blob.s3.prefix").trim();
    if (!KEY_PREFIX.matcher(prefix).matches() || prefix.contains("..")) {
      throw new ConfigException(
          "blob.s3.prefix",
          "'"
              + prefix
              + "' is not accepted; accepted letters, digits, '.', '_', '-' and '/' between"
              + " segments, e.g. 'editstream/' or 'prod/images/' (no leading '/', no '..')");
    }
    java.net.URI endpoint = null;
    String endpointValue = blankToNull(s.string("blob.s3.endpoint"));
    if (endpointValue != null) {
      try {
        endpoint = new java.net.URI(endpointValue);
      } catch (java.net.URISyntaxException e) {
        endpoint = null;
      }
      if (endpoint == null
          || !("http".equalsIgnoreCase(endpoint.getScheme())
              || "https".equalsIgnoreCase(endpoint.getScheme()))
          || endpoint.getHost() == null) {
        throw new ConfigException(
            "blob.s3.endpoint",
            "'"
                + endpointValue
                + "' is not accepted; accepted an http(s) URL, e.g. http://minio:9000");
      }
    }
    String accessKey = blankToNull(s.string("blob.s3.access.key"));
    String secretKey = blankToNull(s.string("blob.s3.secret.key"));
    if ((accessKey == null) != (secretKey == null)) {
      throw new ConfigException(
          accessKey == null ? "blob.s3.access.key" : "blob.s3.secret.key",
          "set both blob.s3.access.key and blob.s3.secret.key, or neither (the AWS SDK's default"
              + " credentials chain)");
    }
    return new Blob(
        store,
        dir,
        new S3(
            bucket,
            prefix,
            blankToNull(s.string("blob.s3.region")),
            endpoint,
            s.bool("blob.s3.path.style"),
            accessKey,
            secretKey,
            s.duration("blob.s3.presign.ttl", Duration.ZERO, Duration.ofDays(7))),
        retention(s));
  }

  /** model.default and the model.alias.NAME=ID keys of the config file. */
  static ModelIds modelIds(Settings s) {
    String defaultModel = s.required("model.default");
    try {
      return ModelIds.of(defaultModel, s.withPrefix(ModelIds.ALIAS_PREFIX));
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      int colon = message.indexOf(": ");
      throw new ConfigException(message.substring(0, colon), message.substring(colon + 2));
    }
  }

  /** The limits of a pool, as the last segment of its settings. */
  public static final List<String> LIMIT_NAMES = List.of("rpm", "ipm", "tpm", "rpd", "burst");

  private static final String MODEL_QUOTA_PREFIX = "quota.model.";

  /**
   * quota.rpm/ipm/tpm/rpd/burst for the default model, quota.model.MODEL.LIMIT for any model (it
   * wins over quota.LIMIT for the default model). Model ids contain dots (gemini-3.1-...), so the
   * limit is the last segment and the model is everything between; it may be an alias.
   */
  static Quota quota(Settings s, ModelIds ids) {
    String defaultModel = ids.defaultModel();
    Map<String, Map<String, String>> raw = new java.util.TreeMap<>();
    for (String limit : LIMIT_NAMES) {
      String name = "quota." + limit;
      raw.computeIfAbsent(defaultModel, m -> new java.util.LinkedHashMap<>()).put(limit, name);
    }
    java.util.Set<String> documented = new java.util.HashSet<>();
    Settings.ALL.forEach(d -> documented.add(d.name()));
    for (String key : s.keys()) {
      if (key.startsWith("provider.") && key.contains(".quota") && !documented.contains(key)) {
        throw new ConfigException(
            key,
            "unknown provider quota setting; accepted provider.<name>.quota.<limit> with name one"
                + " of "
                + Providers.KNOWN
                + " and limit one of "
                + LIMIT_NAMES);
      }
    }
    for (String key : s.keys()) {
      if (!key.startsWith("quota.") || documented.contains(key)) {
        continue;
      }
      int dot = key.lastIndexOf('.');
      String limit = key.substring(dot + 1);
      if (!key.startsWith(MODEL_QUOTA_PREFIX)
          || dot <= MODEL_QUOTA_PREFIX.length()
          || !LIMIT_NAMES.contains(limit)) {
        throw new ConfigException(
            key,
            "unknown quota setting; accepted quota.rpm, quota.ipm, quota.tpm, quota.rpd,"
                + " quota.burst, quota.model.<model>.<rpm|ipm|tpm|rpd|burst> and the quota.*"
                + " settings listed by --help");
      }
      String model = ids.resolve(key.substring(MODEL_QUOTA_PREFIX.length(), dot));
      String other =
          raw.computeIfAbsent(model, m -> new java.util.LinkedHashMap<>()).put(limit, key);
      if (other != null && other.startsWith(MODEL_QUOTA_PREFIX)) {
        throw new ConfigException(
            key,
            "sets the same limit as "
                + other
                + " (both name model "
                + model
                + " or its alias);"
                + " keep one");
      }
    }
    Map<String, PoolLimits> pools = new HashMap<>();
    raw.forEach(
        (model, names) -> {
          PoolLimits limits = poolLimits(s, model, names, model.equals(defaultModel));
          if (!limits.unlimited()) {
            pools.put(model, limits);
          }
        });
    Map<String, PoolLimits> providerPools = new HashMap<>();
    for (String provider : Providers.KNOWN) {
      if (provider.equals(AI_STUDIO)) {
        continue;
      }
      PoolLimits limits = poolLimits(s, limit -> providerQuotaKey(provider, limit));
      if (!limits.unlimited()) {
        providerPools.put(provider, limits);
      }
    }
    return new Quota(
        pools,
        providerPools,
        defaultModel,
        s.millis("quota.window.ms", 1_000, 3_600_000),
        tenantWeights(s),
        s.decimal("quota.tenant.default.weight", 1e-6, 1e6),
        s.integer("quota.queue.max", 1, 100_000_000));
  }

  /** The setting of one limit of a provider's pool, e.g. provider.vertex.quota.rpm. */
  public static String providerQuotaKey(String provider, String limit) {
    return "provider." + provider + ".quota." + limit;
  }

  private static PoolLimits poolLimits(
      Settings s, String model, Map<String, String> names, boolean isDefault) {
    // For the default model a quota.model.<model>.<limit> key overrides quota.<limit>, and
    // provider.ai-studio.quota.<limit> overrides both.
    java.util.function.Function<String, String> key =
        limit -> {
          String provider = providerQuotaKey(AI_STUDIO, limit);
          if (isDefault && s.keys().contains(provider)) {
            return provider;
          }
          String specific = MODEL_QUOTA_PREFIX + model + "." + limit;
          return s.keys().contains(specific) ? specific : names.getOrDefault(limit, specific);
        };
    return poolLimits(s, key);
  }

  /** The limits of one pool; {@code key} names the setting each limit is read from. */
  private static PoolLimits poolLimits(
      Settings s, java.util.function.Function<String, String> key) {
    long rpm = limitValue(s, key.apply("rpm"));
    long ipm = limitValue(s, key.apply("ipm"));
    long tpm = limitValue(s, key.apply("tpm"));
    long rpd = limitValue(s, key.apply("rpd"));
    String burstKey = key.apply("burst");
    long burst = limitValue(s, burstKey);
    if (burst == 0) {
      // Small enough that sustained use is 1 - burst/rpm = 99.5 %, large enough to absorb what
      // refills between two drains of the 5 ms dispatch tick.
      burst = Math.max(1, rpm / 200);
    }
    if (rpm > 0 && burst >= rpm) {
      throw new ConfigException(
          burstKey,
          "'"
              + burst
              + "' must be below the requests per minute ("
              + rpm
              + "); a typical value"
              + " is rpm/200, or 0 for that");
    }
    return new PoolLimits(rpm, ipm, tpm, rpd, burst);
  }

  private static long limitValue(Settings s, String key) {
    return s.string(key) == null ? 0 : s.longValue(key, 0, Long.MAX_VALUE / 4);
  }

  private static Map<String, Double> tenantWeights(Settings s) {
    return tenantMap(s, "quota.tenant.weights", "weight", "acme:3,beta:1", Double.MIN_VALUE, 1e12);
  }

  /** A 'tenant:number,…' setting; each number within [min, max]. */
  private static Map<String, Double> tenantMap(
      Settings s, String name, String what, String example, double min, double max) {
    Map<String, Double> out = new HashMap<>();
    String value = s.string(name);
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String entry : value.split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int colon = e.lastIndexOf(':');
      if (colon <= 0 || colon == e.length() - 1) {
        throw new ConfigException(
            name, "'" + e + "' is not tenant:" + what + "; accepted e.g. '" + example + "'");
      }
      String tenant = e.substring(0, colon).trim();
      double weight;
      try {
        weight = Double.parseDouble(e.substring(colon + 1).trim());
      } catch (NumberFormatException ex) {
        throw new ConfigException(
            name, what + " of tenant '" + tenant + "' is not a number: '" + e + "'");
      }
      if (!(weight >= min && weight <= max)) {
        throw new ConfigException(
            name,
            what
                + " of tenant '"
                + tenant
                + "' must be "
                + (min > 0 ? "a positive number" : "a number >= 0")
                + " but was "
                + weight);
      }
      if (out.put(tenant, weight) != null) {
        throw new ConfigException(name, "tenant '" + tenant + "' is listed twice");
      }
    }
    return out;
  }

  private static Providers providers(Settings s) {
    List<String> order =
        Arrays.stream(s.required("model.providers").split(","))
            .map(String::trim)
            .filter(p -> !p.isEmpty())
            .toList();
    if (order.isEmpty()) {
      throw new ConfigException("model.providers", "name at least one of " + Providers.KNOWN);
    }
    for (String p : order) {
      if (!Providers.KNOWN.contains(p)) {
        throw new ConfigException(
            "model.providers", "'" + p + "' is not a provider; accepted " + Providers.KNOWN);
      }
    }
    if (order.stream().distinct().count() != order.size()) {
      throw new ConfigException("model.providers", "a provider is listed twice: " + order);
    }
    String vertexProject = blankToNull(s.string("vertex.project"));
    if (order.contains("vertex") && vertexProject == null) {
      throw new ConfigException(
          "vertex.project", "is required when vertex is listed (or set GOOGLE_CLOUD_PROJECT)");
    }
    String wavespeedKey = blankToNull(s.string("wavespeed.api.key"));
    if (order.contains("wavespeed") && wavespeedKey == null) {
      throw new ConfigException(
          "wavespeed.api.key", "is required when wavespeed is listed (set WAVESPEED_API_KEY)");
    }
    String credentials = blankToNull(s.string("vertex.credentials.file"));
    Duration pollInitial = s.millis("wavespeed.poll.initial.ms", 10, 600_000);
    Duration pollMax = s.millis("wavespeed.poll.max.ms", 10, 600_000);
    if (pollMax.compareTo(pollInitial) < 0) {
      throw new ConfigException("wavespeed.poll.max.ms", "must be >= wavespeed.poll.initial.ms");
    }
    return new Providers(
        order,
        vertexProject,
        s.required("vertex.location"),
        credentials == null ? null : Path.of(credentials),
        s.httpUrl("vertex.base.url", false),
        wavespeedKey,
        requiredHttpUrl(s, "wavespeed.base.url", false),
        s.required("wavespeed.model.path"),
        pollInitial,
        pollMax,
        s.millis("provider.failover.retry.delay.ms", 0, 86_400_000),
        s.integer("provider.circuit.failures", 1, 1_000),
        s.millis("provider.circuit.cooldown.ms", 100, 86_400_000),
        s.decimal("price.wavespeed.per.image", 0, 1_000));
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

  /** A required setting that must be http(s) URLs (comma-separated ones are each checked). */
  private static String requiredHttpUrl(Settings s, String name, boolean list) {
    s.required(name);
    return s.httpUrl(name, list);
  }

  /**
   * Whether a pass-through client setting ({@code kafka.*}, {@code schema.registry.*}) may hold a
   * secret, so that its value is masked wherever the configuration is printed: passwords, JAAS
   * configs, tokens, client secrets and credentials, the registry's user info, and PEM private keys
   * ({@code ssl.keystore.key}). Errs on the side of masking.
   */
  static boolean secret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password")
        || k.contains("secret")
        || k.contains("jaas")
        || k.contains("token")
        || k.contains("credentials")
        || k.contains("user.info")
        || k.endsWith(".key");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public String toString() {
    Map<String, Object> safeKafka = new HashMap<>(kafka);
    safeKafka.replaceAll((k, v) -> secret(k) ? "***" : v);
    Map<String, Object> safeRegistry = new HashMap<>(registry);
    safeRegistry.replaceAll((k, v) -> secret(k) ? "***" : v);
    return "ProcessorConfig[kafka=%s, registry=%s, topics=%s, applicationId=%s, stateDir=%s,"
            .formatted(safeKafka, safeRegistry, topics, applicationId, stateDir)
        + " streamThreads=%d, model=%s, retry=%s, pendingMaxPerTask=%d, blob=%s, input=%s, http=%s:%d,"
            .formatted(
                streamThreads, model, retry, pendingMaxPerTask, blob, input, httpHost, httpPort)
        + " quota=%s, providers=%s, safetyStrikes=%s]".formatted(quota, providers, safetyStrikes);
  }
}
