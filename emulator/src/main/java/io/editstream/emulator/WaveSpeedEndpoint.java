package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WaveSpeedAI's submit-and-poll protocol for {@code google/nano-banana-2/edit}: {@code POST
 * /api/v3/google/nano-banana-2/edit} answers at once with a prediction id, {@code GET
 * /api/v3/predictions/{id}/result} shows it {@code processing} until its latency has passed, then
 * {@code completed} (outputs as URLs served by {@code GET /api/v3/outputs/...}, or data URIs) or
 * {@code failed}. Latency, quotas and faults come from the shared {@link EditEngine}.
 */
final class WaveSpeedEndpoint implements HttpHandler {

  static final String PREFIX = "/api/v3/";

  /** Model paths served. */
  static final Set<String> MODELS = Set.of("google/nano-banana-2/edit");

  static final int MAX_IMAGES = 14;
  static final long MAX_BODY_BYTES = 64L * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(WaveSpeedEndpoint.class);
  private static final Pattern RESULT_PATH =
      Pattern.compile("^/api/v3/predictions/([A-Za-z0-9_-]+)(/result)?$");
  private static final Pattern OUTPUT_PATH =
      Pattern.compile("^/api/v3/outputs/([A-Za-z0-9_-]+)/0\\.(png|jpeg)$");
  private static final Pattern DATA_URI =
      Pattern.compile("^data:([a-zA-Z0-9.+/-]+);base64,(.*)$", Pattern.DOTALL);

  private final EditEngine engine;
  private final EmulatorConfig config;
  private final ObjectMapper json;
  private final StatsRecorder stats;
  private final ScheduledExecutorService timer;
  private final ExecutorService workers;
  private final AtomicLong sequence = new AtomicLong();

  /** Predictions are kept for an hour (WaveSpeed keeps them 7 days). */
  private final Cache<String, Prediction> predictions =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(1)).build();

  WaveSpeedEndpoint(
      EditEngine engine,
      ObjectMapper json,
      StatsRecorder stats,
      ExecutorService workers,
      ScheduledExecutorService timer) {
    this.workers = workers;
    this.engine = engine;
    this.config = engine.config();
    this.json = json;
    this.stats = stats;
    this.timer = timer;
  }

  /** One prediction; its final state is set once, when its latency has passed. */
  private static final class Prediction {
    final String id;
    final String model;
    final Instant createdAt;
    final String format;
    final boolean base64Output;
    final long latencyMs;
    volatile String status = "processing";
    volatile byte[] output;
    volatile boolean nsfw;
    volatile String error = "";

    Prediction(
        String id,
        String model,
        Instant createdAt,
        String format,
        boolean base64Output,
        long latencyMs) {
      this.id = id;
      this.model = model;
      this.createdAt = createdAt;
      this.format = format;
      this.base64Output = base64Output;
      this.latencyMs = latencyMs;
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    try {
      Matcher output = OUTPUT_PATH.matcher(path);
      if (output.matches() && "GET".equals(exchange.getRequestMethod())) {
        // Outputs are public CDN URLs at WaveSpeed: no key needed.
        serveOutput(exchange, output.group(1));
        return;
      }
      if (!authorized(exchange)) {
        GeminiEndpoint.drain(exchange);
        if (path.startsWith(PREFIX + "google/")) {
          countCall(exchange, 401);
        }
        error(exchange, 401, "Unauthorized: invalid or missing API key", 0);
        return;
      }
      Matcher result = RESULT_PATH.matcher(path);
      if (result.matches() && "GET".equals(exchange.getRequestMethod())) {
        poll(exchange, result.group(1));
        return;
      }
      String model = path.substring(PREFIX.length());
      if (MODELS.contains(model) && "POST".equals(exchange.getRequestMethod())) {
        submit(exchange, model);
        return;
      }
      GeminiEndpoint.drain(exchange);
      error(exchange, 404, "Not found: " + path, 0);
    } catch (RuntimeException | IOException e) {
      log.warn("WaveSpeed request {} failed: {}", path, e.toString());
      exchange.close();
    }
  }

  private boolean authorized(HttpExchange exchange) {
    if (config.bearerToken() == null) {
      return true;
    }
    String token = GeminiEndpoint.bearerToken(exchange);
    return token != null && EditEngine.sameSecret(token, config.bearerToken());
  }

  /** Submits count as model calls in the statistics; they are answered at once. */
  private void countCall(HttpExchange exchange, int status) {
    stats.started(EmulatorStats.keyId(GeminiEndpoint.bearerToken(exchange)));
    stats.answered(status);
    stats.finished();
  }

  private void submit(HttpExchange exchange, String model) throws IOException {
    String token = GeminiEndpoint.bearerToken(exchange);
    byte[] body = readBody(exchange);
    stats.started(EmulatorStats.keyId(token));
    stats.model(model);
    int status = 0;
    try {
      if (body == null) {
        status = error(exchange, 400, "Request body exceeds " + MAX_BODY_BYTES + " bytes", 0);
        return;
      }
      String directiveHeader = exchange.getRequestHeaders().getFirst(Directives.HEADER);
      Object parsed = parse(model, body, directiveHeader);
      if (parsed instanceof String message) {
        status = error(exchange, 400, message, 0);
        return;
      }
      Submission submission = (Submission) parsed;
      GenerateRequest request = submission.request();
      EditEngine.Seen seen = engine.see(model, body, directiveHeader);
      Draws draws = seen.draws();
      Directives d = request.directives();
      if (d.failCode() != 0 && (d.failTimes() == 0 || seen.before() < d.failTimes())) {
        status =
            error(
                exchange,
                d.failCode(),
                triggeredMessage(d.failCode()),
                d.retryDelayMs() >= 0 ? d.retryDelayMs() : d.failCode() == 429 ? 1000 : 0);
        return;
      }
      if (d.drop()) {
        status = -1;
        stats.dropped();
        exchange.close();
        return;
      }
      boolean image = EditEngine.willHaveImage(request, draws) || d.nsfw();
      QuotaLimiter.Admission admission =
          engine.admit(
              "wavespeed:" + EmulatorStats.keyId(token),
              model,
              image ? 1 : 0,
              request.promptTokens());
      if (!admission.admitted()) {
        long retry = admission.retryMillis();
        status =
            error(
                exchange,
                429,
                "Too many requests: rate limit exceeded ("
                    + admission.violations().get(0).kind().name()
                    + " "
                    + admission.violations().get(0).limit()
                    + "). Please retry in "
                    + ApiError.duration(retry)
                    + ".",
                retry);
        return;
      }
      long latency = engine.latency(request, draws);
      String id = predictionId(draws);
      Prediction p =
          new Prediction(
              id,
              model,
              config.clock().instant(),
              submission.format(),
              submission.base64Output(),
              latency);
      predictions.put(id, p);
      schedule(latency, () -> finish(p, request, draws));
      status = 200;
      writeJson(exchange, 200, envelope(view(p, baseUrl(exchange))));
    } finally {
      if (status > 0) {
        stats.answered(status);
      }
      stats.finished();
    }
  }

  private void schedule(long delayMs, Runnable action) {
    try {
      timer.schedule(
          () -> {
            // Rendering takes CPU: never on the timer thread, which serves every latency wait.
            try {
              workers.execute(action);
            } catch (RejectedExecutionException e) {
              // Shutting down.
            }
          },
          delayMs,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Shutting down.
    }
  }

  /** Decides the prediction's final state once its latency has passed. */
  private void finish(Prediction p, GenerateRequest request, Draws draws) {
    try {
      Directives d = request.directives();
      if (d.taskFail() || draws.fault == Draws.Fault.INTERNAL || draws.fault == Draws.Fault.DROP) {
        fail(p, "Internal error while processing the task. Please retry.");
      } else if (draws.fault == Draws.Fault.UNAVAILABLE) {
        fail(p, "The model is overloaded. Please try again later.");
      } else if (draws.fault == Draws.Fault.DEADLINE) {
        fail(p, "Task timed out upstream. Please retry.");
      } else if (d.blockReason() != null || draws.fault == Draws.Fault.BLOCK) {
        String reason = d.blockReason() != null ? d.blockReason() : "PROHIBITED_CONTENT";
        fail(p, "The prompt was blocked by the model's content policy: " + reason);
      } else if (d.finishReason() != null) {
        fail(p, "The model stopped without an image: finishReason " + d.finishReason());
      } else if (d.noImage() || draws.fault == Draws.Fault.NO_IMAGE) {
        p.status = "completed";
      } else {
        byte[] png = engine.render(request);
        p.output = "jpeg".equals(p.format) ? toJpeg(png) : png;
        p.nsfw = d.nsfw() || draws.fault == Draws.Fault.IMAGE_SAFETY;
        stats.imageGenerated();
        p.status = "completed";
      }
    } catch (RuntimeException e) {
      log.warn("Prediction {} failed: {}", p.id, e.toString());
      fail(p, "Internal error while processing the task.");
    }
  }

  private static void fail(Prediction p, String message) {
    p.error = message;
    p.status = "failed";
  }

  private void poll(HttpExchange exchange, String id) throws IOException {
    GeminiEndpoint.drain(exchange);
    Prediction p = predictions.getIfPresent(id);
    if (p == null) {
      error(exchange, 404, "Prediction not found: " + id, 0);
      return;
    }
    writeJson(exchange, 200, envelope(view(p, baseUrl(exchange))));
  }

  private void serveOutput(HttpExchange exchange, String id) throws IOException {
    GeminiEndpoint.drain(exchange);
    Prediction p = predictions.getIfPresent(id);
    byte[] bytes = p == null ? null : p.output;
    if (bytes == null) {
      error(exchange, 404, "Not found", 0);
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "image/" + p.format);
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private ObjectNode view(Prediction p, String base) {
    ObjectNode data = json.createObjectNode();
    data.put("id", p.id);
    data.put("model", p.model);
    ArrayNode outputs = data.putArray("outputs");
    ArrayNode nsfw = data.putArray("has_nsfw_contents");
    String status = p.status;
    byte[] output = p.output;
    if ("completed".equals(status) && output != null) {
      outputs.add(
          p.base64Output
              ? "data:image/" + p.format + ";base64," + Base64.getEncoder().encodeToString(output)
              : base + PREFIX + "outputs/" + p.id + "/0." + p.format);
      nsfw.add(p.nsfw);
    }
    data.putObject("urls").put("get", base + PREFIX + "predictions/" + p.id + "/result");
    data.put("status", status);
    data.put("created_at", p.createdAt.toString());
    data.put("error", p.error);
    data.putObject("timings").put("inference", "processing".equals(status) ? 0 : p.latencyMs);
    return data;
  }

  private ObjectNode envelope(ObjectNode data) {
    ObjectNode root = json.createObjectNode();
    root.put("code", 200);
    root.put("message", "success");
    root.set("data", data);
    return root;
  }

  /** A submission: the request as the engine sees it, and how the output is wanted. */
  private record Submission(GenerateRequest request, String format, boolean base64Output) {}

  /** A {@link Submission}, or a message naming what is wrong. */
  private Object parse(String model, byte[] body, String directiveHeader) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (IOException e) {
      return "Invalid JSON body";
    }
    if (root == null || !root.isObject()) {
      return "Invalid JSON body: expected an object";
    }
    JsonNode prompt = root.path("prompt");
    if (!prompt.isTextual() || prompt.asText().isBlank()) {
      return "prompt is required";
    }
    JsonNode images = root.path("images");
    if (!images.isArray() || images.isEmpty()) {
      return "images is required: 1 to " + MAX_IMAGES + " image URLs or data URIs";
    }
    if (images.size() > MAX_IMAGES) {
      return "images: at most " + MAX_IMAGES + " images, got " + images.size();
    }
    List<InputImage> inputs = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      String field = "images[" + i + "]";
      String value = images.get(i).asText("");
      if (value.startsWith("http://") || value.startsWith("https://")) {
        return field + ": the emulator does not fetch image URLs; send a data URI";
      }
      Matcher m = DATA_URI.matcher(value);
      if (!m.matches()) {
        return field + ": expected an image URL or a data URI (data:image/png;base64,...)";
      }
      String mime = m.group(1).toLowerCase(Locale.ROOT);
      if (!RequestParser.IMAGE_MIME_TYPES.contains(mime)) {
        return field + ": unsupported image type " + mime;
      }
      byte[] bytes;
      try {
        bytes = RequestParser.decodeBase64(m.group(2));
      } catch (IllegalArgumentException e) {
        return field + ": invalid base64";
      }
      Object image = RequestParser.image(field, mime, bytes);
      if (image instanceof ApiError) {
        return field + ": not a readable image";
      }
      inputs.add((InputImage) image);
    }
    GenerateRequest.OutputSize size = GenerateRequest.OutputSize.S1K;
    if (root.hasNonNull("resolution")) {
      String value = root.get("resolution").asText();
      size = GenerateRequest.OutputSize.parse(value);
      if (size == null || size == GenerateRequest.OutputSize.S512) {
        return "resolution must be one of 1K, 2K, 4K, got " + value;
      }
    }
    double aspect = 0;
    if (root.hasNonNull("aspect_ratio")) {
      String value = root.get("aspect_ratio").asText();
      Double ratio = RequestParser.ASPECT_RATIOS.get(value);
      if (ratio == null) {
        return "aspect_ratio must be one of "
            + new java.util.TreeSet<>(RequestParser.ASPECT_RATIOS.keySet())
            + ", got "
            + value;
      }
      aspect = ratio;
    }
    String format = root.path("output_format").asText("png").toLowerCase(Locale.ROOT);
    if (!format.equals("png") && !format.equals("jpeg")) {
      return "output_format must be png or jpeg, got " + format;
    }
    if (root.path("enable_sync_mode").asBoolean(false)) {
      return "enable_sync_mode is not emulated; submit and poll";
    }
    Directives directives;
    try {
      directives = Directives.parse(List.of(prompt.asText()), directiveHeader);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    GenerateRequest request =
        new GenerateRequest(
            model,
            inputs,
            Directives.strip(prompt.asText()),
            prompt.asText().length(),
            1,
            size,
            aspect,
            true,
            directives);
    return new Submission(request, format, root.path("enable_base64_output").asBoolean(false));
  }

  private String predictionId(Draws draws) {
    byte[] hash =
        EditEngine.sha256()
            .digest(
                (draws.responseId + "/" + sequence.incrementAndGet())
                    .getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, 16);
  }

  private static String triggeredMessage(int code) {
    return switch (code) {
      case 400 -> "Invalid request parameters";
      case 401 -> "Unauthorized: invalid or missing API key";
      case 403 -> "Forbidden: insufficient balance or permission";
      case 404 -> "Not found";
      case 429 -> "Too many requests: rate limit exceeded. Please retry in 1s.";
      case 500 -> "Internal server error";
      case 503 -> "Service temporarily unavailable";
      case 504 -> "Gateway timeout";
      default -> "Error " + code;
    };
  }

  /** Writes {@code {"code","message","data":null}}; returns the status for the statistics. */
  private int error(HttpExchange exchange, int status, String message, long retryMillis)
      throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("code", status);
    root.put("message", message);
    root.putNull("data");
    if (retryMillis > 0) {
      // Assumed: WaveSpeed's 429 shape is not documented; we send the standard header.
      exchange
          .getResponseHeaders()
          .set("Retry-After", Long.toString(Math.max(1, (retryMillis + 999) / 1000)));
    }
    writeJson(exchange, status, root);
    return status;
  }

  private void writeJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
    PendingCall.writeJson(exchange, json, status, body);
  }

  private static String baseUrl(HttpExchange exchange) {
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (host == null || host.isBlank()) {
      host =
          exchange.getLocalAddress().getHostString() + ":" + exchange.getLocalAddress().getPort();
    }
    return "http://" + host;
  }

  /** The body, or null when it exceeds {@link #MAX_BODY_BYTES} (the rest is discarded). */
  private static byte[] readBody(HttpExchange exchange) throws IOException {
    try (var in = exchange.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total <= MAX_BODY_BYTES) {
          out.write(buffer, 0, n);
        }
      }
      return total > MAX_BODY_BYTES ? null : out.toByteArray();
    }
  }

  private static byte[] toJpeg(byte[] png) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      BufferedImage rgb =
          new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
      Graphics2D g = rgb.createGraphics();
      g.drawImage(image, 0, 0, null);
      g.dispose();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(rgb, "jpeg", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode JPEG", e);
    }
  }
}
