package io.editstream.processor.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.editstream.processor.concurrent.AsyncFailure;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.GeneratedImage;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.model.Outcome.Usage;
import io.editstream.schema.FailureCode;
import io.editstream.schema.ImageSize;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * WaveSpeedAI's {@code google/nano-banana-2/edit} (the same Gemini 3.1 Flash Image model behind a
 * wrapper with its own quotas and SLA) over its REST API with {@code java.net.http}.
 *
 * <p>One call: {@code POST {base}/api/v3/google/nano-banana-2/edit} with {@code Authorization:
 * Bearer <key>} and {@code {"prompt", "images": [data URIs], "resolution", "aspect_ratio",
 * "output_format": "png", "enable_sync_mode": false, "enable_base64_output"}}; the answer's {@code
 * data.urls.get} (or {@code /api/v3/predictions/{id}/result}) is polled with growing pauses until
 * {@code data.status} is {@code completed} (the image is downloaded from {@code data.outputs[0]},
 * or decoded when it is a data URI) or {@code failed} ({@code data.error}). The whole call, polling
 * and download included, has one time limit.
 *
 * <p>Inputs go as data URIs, so no blob server or signed URLs are needed. WaveSpeed has no
 * conversation: follow-up steps run as successive edits, each of the previous output. WaveSpeed
 * reports no token usage; results carry {@link Usage#NONE} and are priced per image by the router.
 */
public final class WaveSpeedModelClient implements ModelClient {

  static final String PROVIDER = "wavespeed";
  private static final Pattern DATA_URI = Pattern.compile("^data:([^;,]+);base64,", 0);
  private static final long MAX_OUTPUT_BYTES = 64L * 1024 * 1024;

  private final Settings settings;
  private final URI base;
  private final HttpClient http;
  private final ScheduledExecutorService scheduler;
  private final boolean ownScheduler;
  private final LongSupplier nanoTime;
  private final ObjectMapper json = new ObjectMapper();

  /**
   * Settings for the WaveSpeed door.
   *
   * @param apiKey WaveSpeed API key (bearer)
   * @param baseUrl {@code https://api.wavespeed.ai}, or the emulator's URL
   * @param modelPath model path after {@code /api/v3/}, e.g. {@code google/nano-banana-2/edit}
   * @param timeout time limit of one call: submit, every poll and the download
   * @param pollInitial pause before the first poll; each next pause is 1.5 times longer
   * @param pollMax longest pause between polls
   */
  public record Settings(
      String apiKey,
      String baseUrl,
      String modelPath,
      Duration timeout,
      Duration pollInitial,
      Duration pollMax) {

    public static final String DEFAULT_BASE_URL = "https://api.wavespeed.ai";
    public static final String DEFAULT_MODEL_PATH = "google/nano-banana-2/edit";

    public Settings {
      if (apiKey == null || apiKey.isBlank()) {
        throw new IllegalArgumentException("WAVESPEED_API_KEY: an API key is required");
      }
      if (baseUrl == null || baseUrl.isBlank()) {
        baseUrl = DEFAULT_BASE_URL;
      }
      if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
        throw new IllegalArgumentException(
            "wavespeed.base.url: must be an http(s) URL, was " + baseUrl);
      }
      if (modelPath == null || modelPath.isBlank()) {
        modelPath = DEFAULT_MODEL_PATH;
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("model.timeout.ms: must be > 0");
      }
      if (pollInitial == null || pollInitial.isNegative() || pollInitial.isZero()) {
        throw new IllegalArgumentException("wavespeed.poll.initial.ms: must be > 0");
      }
      if (pollMax == null || pollMax.compareTo(pollInitial) < 0) {
        throw new IllegalArgumentException(
            "wavespeed.poll.max.ms: must be >= wavespeed.poll.initial.ms");
      }
    }

    /** Google-like defaults: 120 s per call, first poll after 500 ms, then up to every 2 s. */
    public static Settings of(String apiKey, String baseUrl) {
      return new Settings(
          apiKey,
          baseUrl,
          DEFAULT_MODEL_PATH,
          Duration.ofSeconds(120),
          Duration.ofMillis(500),
          Duration.ofSeconds(2));
    }

    public Settings withTimeout(Duration t) {
      return new Settings(apiKey, baseUrl, modelPath, t, pollInitial, pollMax);
    }

    public Settings withPolling(Duration initial, Duration max) {
      return new Settings(apiKey, baseUrl, modelPath, timeout, initial, max);
    }

    @Override
    public String toString() {
      return "Settings[apiKey=***, baseUrl=%s, modelPath=%s, timeout=%s, poll=%s..%s]"
          .formatted(baseUrl, modelPath, timeout, pollInitial, pollMax);
    }
  }

  public WaveSpeedModelClient(Settings settings) {
    this(
        settings,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        null,
        System::nanoTime);
  }

  /**
   * @param scheduler runs the pauses between polls; null to own a single daemon thread
   */
  WaveSpeedModelClient(
      Settings settings,
      HttpClient http,
      ScheduledExecutorService scheduler,
      LongSupplier nanoTime) {
    this.settings = settings;
    String b = settings.baseUrl();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
    this.http = http;
    this.ownScheduler = scheduler == null;
    this.scheduler =
        scheduler != null
            ? scheduler
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "wavespeed-poll");
                  t.setDaemon(true);
                  return t;
                });
    this.nanoTime = nanoTime;
  }

  @Override
  public String provider() {
    return PROVIDER;
  }

  /** One edit in flight: the time limit and what the steps so far produced. */
  private record Call(ModelRequest request, long startNanos, long deadlineNanos) {
    Duration elapsed(LongSupplier clock) {
      return Duration.ofNanos(clock.getAsLong() - startNanos);
    }
  }

  /** A step's result: the image and the model id WaveSpeed reported. */
  private record Edited(GeneratedImage image, String model) {}

  /** Thrown inside the chain to stop at a failure value; never leaves this class. */
  private static final class Stop extends RuntimeException {
    final Failure failure;

    Stop(Failure failure) {
      super(failure.message(), null, false, false);
      this.failure = failure;
    }
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    long start = nanoTime.getAsLong();
    Call call = new Call(request, start, start + settings.timeout().toNanos());
    CompletableFuture<Edited> chain;
    try {
      List<String> first =
          request.images().stream().map(i -> dataUri(i.bytes(), i.mimeType())).toList();
      chain = step(call, request.instruction(), first);
      for (String next : request.steps()) {
        // No conversation at WaveSpeed: each step edits the previous step's output.
        chain =
            chain.thenCompose(
                e -> step(call, next, List.of(dataUri(e.image().bytes(), e.image().mimeType()))));
      }
    } catch (RuntimeException e) {
      chain = CompletableFuture.failedFuture(e);
    }
    return chain.handle(
        (edited, error) -> {
          Duration elapsed = call.elapsed(nanoTime);
          if (error != null) {
            return (Outcome) withTime(failureOf(error, call), elapsed);
          }
          return new Success(
              List.of(edited.image()),
              null,
              edited.model() == null ? settings.modelPath() : edited.model(),
              Usage.NONE,
              elapsed,
              PROVIDER);
        });
  }

  private CompletableFuture<Edited> step(Call call, String prompt, List<String> images) {
    ObjectNode body = json.createObjectNode();
    body.put("prompt", prompt);
    ArrayNode array = body.putArray("images");
    images.forEach(array::add);
    body.put("resolution", resolution(call.request().size()));
    if (call.request().aspectRatio() != null) {
      body.put("aspect_ratio", call.request().aspectRatio());
    }
    // PNG: lossless; the processor encodes the format the job asked for.
    body.put("output_format", "png");
    body.put("enable_sync_mode", false);
    body.put("enable_base64_output", false);
    URI submit = base.resolve("api/v3/" + settings.modelPath());
    HttpRequest post =
        authorized(HttpRequest.newBuilder(submit))
            .timeout(remaining(call))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return http.sendAsync(post, HttpResponse.BodyHandlers.ofString())
        .thenCompose(
            response -> {
              JsonNode data = data(response, "submit");
              String id = data.path("id").asText("");
              if (id.isEmpty()) {
                throw new Stop(
                    Failure.retryable(
                        FailureCode.MODEL_ERROR,
                        response.statusCode(),
                        "WaveSpeed accepted the task without an id",
                        null));
              }
              String get = data.at("/urls/get").asText("");
              URI result =
                  get.isEmpty()
                      ? base.resolve("api/v3/predictions/" + id + "/result")
                      : URI.create(get);
              return poll(call, result, settings.pollInitial());
            });
  }

  private CompletableFuture<Edited> poll(Call call, URI result, Duration pause) {
    Duration left = remaining(call);
    if (left.compareTo(pause) <= 0) {
      return CompletableFuture.failedFuture(timeout(call));
    }
    return CompletableFuture.supplyAsync(
            () -> null,
            CompletableFuture.delayedExecutor(pause.toNanos(), TimeUnit.NANOSECONDS, scheduler))
        .thenCompose(
            ignored -> {
              HttpRequest get =
                  authorized(HttpRequest.newBuilder(result)).timeout(remaining(call)).GET().build();
              return http.sendAsync(get, HttpResponse.BodyHandlers.ofString());
            })
        .thenCompose(
            response -> {
              Duration next = longer(pause);
              int status = response.statusCode();
              if (status == 429 || status >= 500) {
                // The task goes on at WaveSpeed whatever happened to one poll: ask again later.
                return poll(call, result, next);
              }
              JsonNode data = data(response, "poll");
              String state = data.path("status").asText("").toLowerCase(Locale.ROOT);
              return switch (state) {
                case "completed" -> completed(call, data);
                case "failed" -> CompletableFuture.failedFuture(new Stop(failedTask(data)));
                default -> poll(call, result, next);
              };
            });
  }

  private CompletableFuture<Edited> completed(Call call, JsonNode data) {
    JsonNode nsfw = data.path("has_nsfw_contents");
    for (JsonNode flag : nsfw) {
      if (flag.asBoolean(false)) {
        throw new Stop(
            Failure.permanent(
                FailureCode.IMAGE_SAFETY,
                200,
                "NSFW",
                "WaveSpeed flagged the output as not safe (has_nsfw_contents)"));
      }
    }
    JsonNode outputs = data.path("outputs");
    if (!outputs.isArray() || outputs.isEmpty() || outputs.get(0).asText("").isEmpty()) {
      throw new Stop(
          Failure.permanent(
              FailureCode.NO_IMAGE, 200, null, "WaveSpeed completed the task without an image"));
    }
    String model = data.path("model").asText(null);
    String output = outputs.get(0).asText();
    if (output.startsWith("data:")) {
      return CompletableFuture.completedFuture(new Edited(fromDataUri(output), model));
    }
    URI uri = URI.create(output);
    HttpRequest.Builder get = HttpRequest.newBuilder(uri).timeout(remaining(call)).GET();
    if (sameOrigin(uri)) {
      get = authorized(get);
    }
    return http.sendAsync(get.build(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(
            response -> {
              if (response.statusCode() != 200) {
                throw new Stop(
                    Failure.retryable(
                        response.statusCode() >= 500 || response.statusCode() == 429
                            ? FailureCode.MODEL_UNAVAILABLE
                            : FailureCode.MODEL_ERROR,
                        response.statusCode(),
                        "could not download the WaveSpeed output: HTTP " + response.statusCode(),
                        null));
              }
              byte[] bytes = response.body();
              if (bytes.length == 0 || bytes.length > MAX_OUTPUT_BYTES) {
                throw new Stop(
                    Failure.retryable(
                        FailureCode.MODEL_ERROR,
                        200,
                        "the WaveSpeed output has " + bytes.length + " bytes",
                        null));
              }
              String type =
                  response.headers().firstValue("Content-Type").orElse("image/png").split(";")[0];
              return new Edited(new GeneratedImage(bytes, type.trim()), model);
            });
  }

  /** The {@code data} object of a 2xx answer, or a {@link Stop} with the mapped failure. */
  private JsonNode data(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    JsonNode root;
    try {
      root = json.readTree(response.body() == null ? "" : response.body());
    } catch (IOException e) {
      root = null;
    }
    // WaveSpeed repeats the status as "code" in the body; trust the worse of the two.
    int code = root != null && root.path("code").isInt() ? root.path("code").asInt() : status;
    int effective = status >= 300 ? status : (code >= 300 ? code : status);
    if (effective >= 200 && effective < 300 && root != null && root.path("data").isObject()) {
      return root.path("data");
    }
    String message =
        root != null && root.hasNonNull("message")
            ? root.path("message").asText()
            : abbreviate(response.body() == null ? "" : response.body());
    String detail = "WaveSpeed " + what + ": HTTP " + effective + ": " + scrub(message);
    throw new Stop(httpFailure(effective, detail, retryAfter(response)));
  }

  static Failure httpFailure(int status, String detail, Duration retryAfter) {
    if (status == 429) {
      return Failure.retryable(FailureCode.QUOTA_EXHAUSTED, status, detail, retryAfter);
    }
    if (status == 401 || status == 403) {
      return Failure.permanent(FailureCode.MODEL_AUTH, status, null, detail);
    }
    if (status == 408 || status == 504) {
      return Failure.retryable(FailureCode.MODEL_TIMEOUT, status, detail, retryAfter);
    }
    if (status >= 500) {
      return Failure.retryable(FailureCode.MODEL_UNAVAILABLE, status, detail, retryAfter);
    }
    if (status == 404) {
      return Failure.permanent(FailureCode.MODEL_NOT_FOUND, status, null, detail);
    }
    if (status == 400 || status == 413 || status == 422) {
      return Failure.permanent(FailureCode.MODEL_INVALID_ARGUMENT, status, null, detail);
    }
    return Failure.permanent(FailureCode.MODEL_ERROR, status, null, detail);
  }

  private static final Pattern BLOCKED = Pattern.compile("(?i)\\bblock(ed)?\\b");
  private static final Pattern UNSAFE =
      Pattern.compile("(?i)nsfw|safety|prohibited|content policy|sensitive");

  /** A task that ended {@code failed}: safety wording is final, anything else may pass later. */
  static Failure failedTask(JsonNode data) {
    String error = data.path("error").asText("");
    String message = "WaveSpeed task failed: " + (error.isEmpty() ? "(no error text)" : error);
    if (BLOCKED.matcher(error).find()) {
      return Failure.permanent(FailureCode.PROMPT_BLOCKED, 200, null, abbreviate(message));
    }
    if (UNSAFE.matcher(error).find()) {
      return Failure.permanent(FailureCode.IMAGE_SAFETY, 200, null, abbreviate(message));
    }
    return Failure.retryable(FailureCode.MODEL_ERROR, 200, abbreviate(message), null);
  }

  private Failure failureOf(Throwable error, Call call) {
    Throwable e = AsyncFailure.unwrap(error);
    if (e instanceof Stop stop) {
      return stop.failure;
    }
    // The JDK client reports its request timeout as HttpTimeoutException, but a timeout that fires
    // while the exchange is being torn down can surface as another IOException (seen once in CI):
    // past the call's deadline, an I/O error is the deadline's.
    boolean pastDeadline = nanoTime.getAsLong() - call.deadlineNanos() >= 0;
    if (e instanceof HttpTimeoutException || (e instanceof IOException && pastDeadline)) {
      return Failure.retryable(
          FailureCode.MODEL_TIMEOUT,
          null,
          "WaveSpeed call timed out after " + settings.timeout().toMillis() + " ms",
          null);
    }
    if (e instanceof ConnectException || e instanceof IOException) {
      return Failure.retryable(
          FailureCode.MODEL_UNAVAILABLE,
          null,
          "WaveSpeed connection failed: " + scrub(String.valueOf(e.getMessage())),
          null);
    }
    return Failure.retryable(
        FailureCode.MODEL_ERROR,
        null,
        "unexpected WaveSpeed client error: "
            + e.getClass().getSimpleName()
            + ": "
            + scrub(String.valueOf(e.getMessage())),
        null);
  }

  private Stop timeout(Call call) {
    return new Stop(
        Failure.retryable(
            FailureCode.MODEL_TIMEOUT,
            null,
            "WaveSpeed task not finished within " + settings.timeout().toMillis() + " ms",
            null));
  }

  private static Failure withTime(Failure f, Duration t) {
    return new Failure(
        f.code(), f.retryable(), f.httpStatus(), f.finishReason(), f.message(), f.retryAfter(), t);
  }

  private Duration remaining(Call call) {
    long left = call.deadlineNanos() - nanoTime.getAsLong();
    if (left <= 0) {
      throw timeout(call);
    }
    return Duration.ofNanos(left);
  }

  private Duration longer(Duration pause) {
    Duration next = Duration.ofNanos(pause.toNanos() * 3 / 2);
    return next.compareTo(settings.pollMax()) > 0 ? settings.pollMax() : next;
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder b) {
    return b.header("Authorization", "Bearer " + settings.apiKey());
  }

  /** The key goes only to WaveSpeed's own host, never to a CDN. */
  private boolean sameOrigin(URI uri) {
    return Objects.equals(uri.getScheme(), base.getScheme())
        && Objects.equals(uri.getHost(), base.getHost())
        && uri.getPort() == base.getPort();
  }

  /** WaveSpeed's resolutions start at 1K: a 512 px job is made at 1K. */
  static String resolution(ImageSize size) {
    return switch (size) {
      case SIZE_512, SIZE_1K -> "1K";
      case SIZE_2K -> "2K";
      case SIZE_4K -> "4K";
    };
  }

  static String dataUri(byte[] bytes, String mimeType) {
    return "data:" + mimeType + ";base64," + Base64.getEncoder().encodeToString(bytes);
  }

  private static GeneratedImage fromDataUri(String uri) {
    var m = DATA_URI.matcher(uri);
    if (!m.find()) {
      throw new Stop(
          Failure.retryable(
              FailureCode.MODEL_ERROR, 200, "WaveSpeed output is not a base64 data URI", null));
    }
    try {
      return new GeneratedImage(Base64.getDecoder().decode(uri.substring(m.end())), m.group(1));
    } catch (IllegalArgumentException e) {
      throw new Stop(
          Failure.retryable(
              FailureCode.MODEL_ERROR, 200, "WaveSpeed output has invalid base64", null));
    }
  }

  /** {@code Retry-After} in seconds (the HTTP-date form is not used by API servers we know). */
  private static Duration retryAfter(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Retry-After")
        .flatMap(
            v -> {
              try {
                return java.util.Optional.of(Duration.ofSeconds(Long.parseLong(v.trim())));
              } catch (NumberFormatException e) {
                return java.util.Optional.empty();
              }
            })
        .orElse(null);
  }

  private String scrub(String text) {
    return text == null ? "" : text.replace(settings.apiKey(), "***");
  }

  private static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "…";
  }

  @Override
  public void close() {
    if (ownScheduler) {
      scheduler.shutdownNow();
    }
  }
}
