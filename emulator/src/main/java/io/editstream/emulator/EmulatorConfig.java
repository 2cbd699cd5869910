package io.editstream.emulator;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of one emulator instance. Immutable; build it from {@link #defaults()} with the {@code
 * with*} methods. The constructor validates every setting and names the bad one in its message.
 *
 * <p>Rates are shares in [0, 1]; {@code errorRate + timeoutRate + dropRate + blockRate +
 * imageSafetyRate + noImageRate} must not exceed 1 (they partition one random draw per request).
 * Quota limits of 0 mean unlimited. {@code latencyMeanMs} is the mean latency of a 512 px edit;
 * larger outputs take longer (see README).
 *
 * @param host address to bind; only loopback in tests
 * @param port port to bind, 0 for an ephemeral port
 * @param apiKey the only accepted API key, or {@code null} to accept any key (or none)
 * @param bearerToken the only accepted {@code Authorization: Bearer} token on the Vertex AI and
 *     WaveSpeed routes, or {@code null} to accept any token (or none)
 * @param models model ids served; others get 404 NOT_FOUND
 * @param latencyMeanMs mean of the log-normal latency for a 512 px output, in ms
 * @param latencySigma sigma of the log-normal latency (0 = constant latency)
 * @param rpm requests per minute per (key, model), 0 = unlimited
 * @param ipm output images per minute per (key, model), 0 = unlimited
 * @param tpm input tokens per minute per (key, model), 0 = unlimited
 * @param rpd requests per day per (key, model), reset at midnight America/Los_Angeles, 0 =
 *     unlimited
 * @param errorRate share of admitted requests answered 500 INTERNAL or 503 UNAVAILABLE
 * @param timeoutRate share answered 504 DEADLINE_EXCEEDED
 * @param dropRate share whose connection is closed without an answer
 * @param blockRate share answered with {@code promptFeedback.blockReason} PROHIBITED_CONTENT
 * @param imageSafetyRate share answered with finishReason IMAGE_SAFETY and no image
 * @param noImageRate share answered with text only (finishReason STOP)
 * @param slowRate share of answers delayed to {@code slowMs} instead of the latency draw
 * @param slowMs latency of slow answers, in ms
 * @param seed seed of every random draw (latency, faults, ids)
 * @param clock clock for quota windows and batch turnaround (latency waits use real time)
 * @param batchTurnaround how long a batch takes from creation to its end state (pending for the
 *     first half, running for the second); its requests are answered in the background meanwhile
 * @param batchMaxConcurrent batches per API key that may be pending or running at once; more are
 *     refused with 429 RESOURCE_EXHAUSTED, 0 = unlimited
 * @param batchMaxEnqueuedTokens input tokens per (API key, model) that may wait in pending or
 *     running batches; a batch that would exceed it is refused with 429, 0 = unlimited
 * @param batchEchoesMetadata whether inline batch responses carry their request's {@code metadata},
 *     as the REST reference documents; false answers as Google's backend has been seen to
 *     (googleapis/python-genai#2008, js-genai#1191), so clients can be tested against both
 * @param cheapRender render each input at each size once, without the instruction, and put the
 *     instruction into the answer PNG's text chunk instead of drawing it: answers keep their size
 *     and stay distinct per instruction at a fraction of the CPU. For benchmarks that share their
 *     cores with the emulator; the demo and tests draw the instruction (false)
 */
public record EmulatorConfig(
    String host,
    int port,
    String apiKey,
    String bearerToken,
    List<String> models,
    long latencyMeanMs,
    double latencySigma,
    long rpm,
    long ipm,
    long tpm,
    long rpd,
    double errorRate,
    double timeoutRate,
    double dropRate,
    double blockRate,
    double imageSafetyRate,
    double noImageRate,
    double slowRate,
    long slowMs,
    long seed,
    Clock clock,
    Duration batchTurnaround,
    int batchMaxConcurrent,
    long batchMaxEnqueuedTokens,
    boolean batchEchoesMetadata,
    boolean cheapRender) {

  /**
   * Models served by default: Nano Banana 2's preview id and its GA successor (DESIGN.md §16), and
   * the other image models.
   */
  public static final List<String> DEFAULT_MODELS =
      List.of(
          "gemini-3.1-flash-image-preview",
          "gemini-3.1-flash-image",
          "gemini-3-pro-image-preview",
          "gemini-2.5-flash-image",
          "gemini-2.5-flash-image-preview");

  public EmulatorConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(batchTurnaround, "batchTurnaround");
    models = List.copyOf(Objects.requireNonNull(models, "models"));
    require(port >= 0 && port <= 65535, "port must be in 0..65535, was " + port);
    require(apiKey == null || !apiKey.isBlank(), "apiKey must be null or non-blank");
    require(bearerToken == null || !bearerToken.isBlank(), "bearerToken must be null or non-blank");
    require(!models.isEmpty(), "models must not be empty");
    require(latencyMeanMs >= 0, "latencyMeanMs must be >= 0, was " + latencyMeanMs);
    require(
        latencySigma >= 0 && latencySigma <= 3,
        "latencySigma must be in 0..3, was " + latencySigma);
    require(rpm >= 0, "rpm must be >= 0 (0 = unlimited), was " + rpm);
    require(ipm >= 0, "ipm must be >= 0 (0 = unlimited), was " + ipm);
    require(tpm >= 0, "tpm must be >= 0 (0 = unlimited), was " + tpm);
    require(rpd >= 0, "rpd must be >= 0 (0 = unlimited), was " + rpd);
    rate("errorRate", errorRate);
    rate("timeoutRate", timeoutRate);
    rate("dropRate", dropRate);
    rate("blockRate", blockRate);
    rate("imageSafetyRate", imageSafetyRate);
    rate("noImageRate", noImageRate);
    rate("slowRate", slowRate);
    double sum = errorRate + timeoutRate + dropRate + blockRate + imageSafetyRate + noImageRate;
    require(
        sum <= 1.0 + 1e-9,
        "errorRate + timeoutRate + dropRate + blockRate + imageSafetyRate + noImageRate must be <="
            + " 1, was "
            + sum);
    require(slowMs >= 0, "slowMs must be >= 0, was " + slowMs);
    require(!batchTurnaround.isNegative(), "batchTurnaround must be >= 0, was " + batchTurnaround);
    require(
        batchMaxConcurrent >= 0,
        "batchMaxConcurrent must be >= 0 (0 = unlimited), was " + batchMaxConcurrent);
    require(
        batchMaxEnqueuedTokens >= 0,
        "batchMaxEnqueuedTokens must be >= 0 (0 = unlimited), was " + batchMaxEnqueuedTokens);
  }

  /** Default batch turnaround: long enough to watch the states change, short enough for a demo. */
  public static final Duration DEFAULT_BATCH_TURNAROUND = Duration.ofSeconds(5);

  /** Google's limit on concurrent batch jobs per project. */
  public static final int DEFAULT_BATCH_MAX_CONCURRENT = 100;

  /**
   * Loopback, ephemeral port, any key, 2.8 s mean latency, no quotas, no faults, seed 42; batches
   * take 5 s, at most 100 at once, no enqueued-token limit.
   */
  public static EmulatorConfig defaults() {
    return new EmulatorConfig(
        "127.0.0.1",
        0,
        null,
        null,
        DEFAULT_MODELS,
        2800,
        0.25,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        30_000,
        42,
        Clock.systemUTC(),
        DEFAULT_BATCH_TURNAROUND,
        DEFAULT_BATCH_MAX_CONCURRENT,
        0,
        true,
        false);
  }

  @Override
  public String toString() {
    // Never print the API key.
    return "EmulatorConfig[host="
        + host
        + ", port="
        + port
        + ", apiKey="
        + (apiKey == null ? "<any>" : "<set>")
        + ", bearerToken="
        + (bearerToken == null ? "<any>" : "<set>")
        + ", models="
        + models
        + ", latencyMeanMs="
        + latencyMeanMs
        + ", latencySigma="
        + latencySigma
        + ", rpm="
        + rpm
        + ", ipm="
        + ipm
        + ", tpm="
        + tpm
        + ", rpd="
        + rpd
        + ", errorRate="
        + errorRate
        + ", timeoutRate="
        + timeoutRate
        + ", dropRate="
        + dropRate
        + ", blockRate="
        + blockRate
        + ", imageSafetyRate="
        + imageSafetyRate
        + ", noImageRate="
        + noImageRate
        + ", slowRate="
        + slowRate
        + ", slowMs="
        + slowMs
        + ", seed="
        + seed
        + ", batchTurnaround="
        + batchTurnaround
        + ", batchMaxConcurrent="
        + batchMaxConcurrent
        + ", batchMaxEnqueuedTokens="
        + batchMaxEnqueuedTokens
        + ", batchEchoesMetadata="
        + batchEchoesMetadata
        + ", cheapRender="
        + cheapRender
        + "]";
  }

  public EmulatorConfig withHost(String v) {
    return copy(b -> b.host = v);
  }

  public EmulatorConfig withPort(int v) {
    return copy(b -> b.port = v);
  }

  public EmulatorConfig withApiKey(String v) {
    return copy(b -> b.apiKey = v);
  }

  /** The only bearer token the Vertex AI and WaveSpeed routes accept; null accepts any. */
  public EmulatorConfig withBearerToken(String v) {
    return copy(b -> b.bearerToken = v);
  }

  public EmulatorConfig withModels(List<String> v) {
    return copy(b -> b.models = v);
  }

  /** Mean latency of a 512 px edit, in ms (larger outputs take longer). */
  public EmulatorConfig withLatencyMeanMs(long v) {
    return copy(b -> b.latencyMeanMs = v);
  }

  public EmulatorConfig withLatencySigma(double v) {
    return copy(b -> b.latencySigma = v);
  }

  public EmulatorConfig withRpm(long v) {
    return copy(b -> b.rpm = v);
  }

  public EmulatorConfig withIpm(long v) {
    return copy(b -> b.ipm = v);
  }

  public EmulatorConfig withTpm(long v) {
    return copy(b -> b.tpm = v);
  }

  public EmulatorConfig withRpd(long v) {
    return copy(b -> b.rpd = v);
  }

  public EmulatorConfig withErrorRate(double v) {
    return copy(b -> b.errorRate = v);
  }

  public EmulatorConfig withTimeoutRate(double v) {
    return copy(b -> b.timeoutRate = v);
  }

  public EmulatorConfig withDropRate(double v) {
    return copy(b -> b.dropRate = v);
  }

  public EmulatorConfig withBlockRate(double v) {
    return copy(b -> b.blockRate = v);
  }

  public EmulatorConfig withImageSafetyRate(double v) {
    return copy(b -> b.imageSafetyRate = v);
  }

  public EmulatorConfig withNoImageRate(double v) {
    return copy(b -> b.noImageRate = v);
  }

  public EmulatorConfig withSlowRate(double v) {
    return copy(b -> b.slowRate = v);
  }

  public EmulatorConfig withSlowMs(long v) {
    return copy(b -> b.slowMs = v);
  }

  public EmulatorConfig withSeed(long v) {
    return copy(b -> b.seed = v);
  }

  /** Clock for quota windows (tests pass a fake clock). Latency waits use real time. */
  public EmulatorConfig withClock(Clock v) {
    return copy(b -> b.clock = v);
  }

  /** How long a batch takes from creation to its end state (tests set it small). */
  public EmulatorConfig withBatchTurnaround(Duration v) {
    return copy(b -> b.batchTurnaround = v);
  }

  /** Batches per API key pending or running at once, 0 = unlimited. */
  public EmulatorConfig withBatchMaxConcurrent(int v) {
    return copy(b -> b.batchMaxConcurrent = v);
  }

  /** Input tokens per (API key, model) waiting in batches, 0 = unlimited. */
  public EmulatorConfig withBatchMaxEnqueuedTokens(long v) {
    return copy(b -> b.batchMaxEnqueuedTokens = v);
  }

  /** Whether inline batch responses carry their request's metadata (documented: true). */
  public EmulatorConfig withBatchEchoesMetadata(boolean v) {
    return copy(b -> b.batchEchoesMetadata = v);
  }

  /**
   * Render once per input and size, the instruction in a PNG text chunk (see {@link #cheapRender}).
   */
  public EmulatorConfig withCheapRender(boolean v) {
    return copy(b -> b.cheapRender = v);
  }

  private EmulatorConfig copy(java.util.function.Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.build();
  }

  /** Mutable copy of the components, so each wither changes one and validates the result. */
  private static final class Fields {
    String host;
    int port;
    String apiKey;
    String bearerToken;
    List<String> models;
    long latencyMeanMs;
    double latencySigma;
    long rpm;
    long ipm;
    long tpm;
    long rpd;
    double errorRate;
    double timeoutRate;
    double dropRate;
    double blockRate;
    double imageSafetyRate;
    double noImageRate;
    double slowRate;
    long slowMs;
    long seed;
    Clock clock;
    Duration batchTurnaround;
    int batchMaxConcurrent;
    long batchMaxEnqueuedTokens;
    boolean batchEchoesMetadata;
    boolean cheapRender;

    Fields(EmulatorConfig c) {
      host = c.host;
      port = c.port;
      apiKey = c.apiKey;
      bearerToken = c.bearerToken;
      models = c.models;
      latencyMeanMs = c.latencyMeanMs;
      latencySigma = c.latencySigma;
      rpm = c.rpm;
      ipm = c.ipm;
      tpm = c.tpm;
      rpd = c.rpd;
      errorRate = c.errorRate;
      timeoutRate = c.timeoutRate;
      dropRate = c.dropRate;
      blockRate = c.blockRate;
      imageSafetyRate = c.imageSafetyRate;
      noImageRate = c.noImageRate;
      slowRate = c.slowRate;
      slowMs = c.slowMs;
      seed = c.seed;
      clock = c.clock;
      batchTurnaround = c.batchTurnaround;
      batchMaxConcurrent = c.batchMaxConcurrent;
      batchMaxEnqueuedTokens = c.batchMaxEnqueuedTokens;
      batchEchoesMetadata = c.batchEchoesMetadata;
      cheapRender = c.cheapRender;
    }

    EmulatorConfig build() {
      return new EmulatorConfig(
          host,
          port,
          apiKey,
          bearerToken,
          models,
          latencyMeanMs,
          latencySigma,
          rpm,
          ipm,
          tpm,
          rpd,
          errorRate,
          timeoutRate,
          dropRate,
          blockRate,
          imageSafetyRate,
          noImageRate,
          slowRate,
          slowMs,
          seed,
          clock,
          batchTurnaround,
          batchMaxConcurrent,
          batchMaxEnqueuedTokens,
          batchEchoesMetadata,
          cheapRender);
    }
  }

  private static void rate(String name, double v) {
    require(v >= 0 && v <= 1, name + " must be in 0..1, was " + v);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
