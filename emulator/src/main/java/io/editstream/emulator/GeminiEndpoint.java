package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the Gemini REST endpoints of Google AI Studio ({@code /v1beta/models/M:generateContent},
 * API key) and of Vertex AI ({@code /v1beta1/projects/P/locations/L/publishers/google/models/M:
 * generateContent}, OAuth bearer token), {@code /stats} and {@code /health}. Both doors share one
 * engine: the same latency, quota and fault controls. The Batch and Files API routes are handed to
 * {@link BatchEndpoint}.
 *
 * <p>Threads: the HTTP server's (unbounded, cached) pool reads and validates a request and renders
 * its image; the latency wait holds no thread — a timer hands the answer back to the pool when it
 * is due. So hundreds of requests can wait out their latency at once.
 */
final class GeminiEndpoint implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(GeminiEndpoint.class);
  private static final Pattern MODEL_PATH =
      Pattern.compile("^/(v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)$");
  private static final Pattern VERTEX_PATH =
      Pattern.compile(
          "^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/publishers/google/models/([^/:]+)"
              + ":([A-Za-z]+)$");

  private final EmulatorConfig config;
  private final ObjectMapper json;
  private final RequestParser parser;
  private final EditEngine engine;
  private final StatsRecorder stats;
  private final ResponseFactory responses = new ResponseFactory();
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final BatchEndpoint batches;

  GeminiEndpoint(
      EditEngine engine,
      ObjectMapper json,
      StatsRecorder stats,
      ExecutorService workers,
      ScheduledExecutorService timer,
      BatchEndpoint batches) {
    this.config = engine.config();
    this.engine = engine;
    this.json = json;
    this.parser = new RequestParser(json);
    this.stats = stats;
    this.workers = workers;
    this.timer = timer;
    this.batches = batches;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      String path = exchange.getRequestURI().getRawPath();
      if (path.equals("/health") || path.equals("/healthz")) {
        writeJson(exchange, 200, json.createObjectNode().put("status", "ok"));
      } else if (path.equals("/stats")) {
        if ("DELETE".equals(exchange.getRequestMethod())) {
          stats.reset();
        }
        writeJson(exchange, 200, json.valueToTree(stats.snapshot()));
      } else if (batches.handle(exchange, path)) {
        return;
      } else {
        Matcher m = MODEL_PATH.matcher(path);
        Matcher v = VERTEX_PATH.matcher(path);
        if (m.matches() && m.group(3).equals("batchGenerateContent")) {
          batches.create(exchange, m.group(1), m.group(2));
        } else if (m.matches()) {
          aiStudioCall(exchange, m.group(1), m.group(2), m.group(3));
        } else if (v.matches()) {
          vertexCall(exchange, v.group(2), v.group(3), v.group(4), v.group(5));
        } else {
          drain(exchange);
          writeJson(exchange, 404, ApiError.notFound(path).toJson());
        }
      }
    } catch (RuntimeException | IOException e) {
      log.warn("Request {} failed: {}", exchange.getRequestURI().getRawPath(), e.toString());
      exchange.close();
    }
  }

  private PendingCall begin(HttpExchange exchange, String credential) {
    stats.started(EmulatorStats.keyId(credential));
    return new PendingCall(exchange, System.nanoTime(), json, responses, stats, workers, timer);
  }

  private void aiStudioCall(HttpExchange exchange, String version, String model, String method)
      throws IOException {
    String key = apiKey(exchange);
    PendingCall call = begin(exchange, key);
    try {
      if (config.apiKey() != null) {
        if (key == null || key.isEmpty()) {
          drain(exchange);
          call.error(ApiError.unregisteredCaller());
          return;
        }
        if (!EditEngine.sameSecret(key, config.apiKey())) {
          drain(exchange);
          call.error(ApiError.apiKeyInvalid());
          return;
        }
      }
      if (!config.models().contains(model)) {
        drain(exchange);
        call.error(ApiError.modelNotFound(version, model));
        return;
      }
      // Gemini 3 image models on the Gemini API refuse model turns without their signatures.
      generate(
          exchange,
          call,
          EmulatorStats.keyId(key),
          model,
          method,
          ThoughtSignatures.strictFor(model));
    } catch (RuntimeException | IOException e) {
      log.warn("Model call {} failed: {}", model, e.toString());
      call.error(ApiError.internal());
    }
  }

  /**
   * Vertex AI: the OAuth access token comes as {@code Authorization: Bearer}; quotas are per
   * (project, location, model), as Google Cloud meters them.
   */
  private void vertexCall(
      HttpExchange exchange, String project, String location, String model, String method)
      throws IOException {
    String token = bearerToken(exchange);
    PendingCall call = begin(exchange, token);
    try {
      if (config.bearerToken() != null
          && (token == null || !EditEngine.sameSecret(token, config.bearerToken()))) {
        drain(exchange);
        call.error(ApiError.unauthenticated(token == null));
        return;
      }
      if (!config.models().contains(model)) {
        drain(exchange);
        call.error(ApiError.publisherModelNotFound(project, location, model));
        return;
      }
      String quotaKey = "vertex:projects/" + project + "/locations/" + location;
      // Vertex AI documents no such refusal for its image models.
      generate(exchange, call, quotaKey, model, method, false);
    } catch (RuntimeException | IOException e) {
      log.warn("Vertex call {} failed: {}", model, e.toString());
      call.error(ApiError.internal());
    }
  }

  /** The shared flow once the caller is known: body, triggers, quota, faults, answer. */
  private void generate(
      HttpExchange exchange,
      PendingCall call,
      String quotaKey,
      String model,
      String method,
      boolean requireSignatures)
      throws IOException {
    boolean stream = method.equals("streamGenerateContent");
    if (!stream && !method.equals("generateContent")) {
      drain(exchange);
      call.error(ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    if (!"POST".equals(exchange.getRequestMethod())) {
      drain(exchange);
      // Google has no such route for other methods.
      call.error(ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    stats.model(model);
    byte[] body = readBody(exchange);
    if (body == null) {
      call.error(ApiError.payloadTooLarge());
      return;
    }
    String directiveHeader = exchange.getRequestHeaders().getFirst(Directives.HEADER);
    RequestParser.Result parsed = parser.parse(model, body, directiveHeader, requireSignatures);
    if (parsed.error() != null) {
      call.error(parsed.error());
      return;
    }
    GenerateRequest request = parsed.request();
    EditEngine.Seen seen = engine.see(model, body, directiveHeader);
    Draws draws = seen.draws();
    Directives d = request.directives();
    long latency = engine.latency(request, draws);

    // Triggered failures come before quota bookkeeping so retry tests are not throttled.
    if (d.failCode() != 0 && (d.failTimes() == 0 || seen.before() < d.failTimes())) {
      ApiError canned = ApiError.forCode(d.failCode(), model);
      ApiError error = d.retryDelayMs() < 0 ? canned : canned.withRetryDelay(d.retryDelayMs());
      call.at(d.failCode() == 429 ? 0 : latency, () -> call.error(error));
      return;
    }
    boolean image = EditEngine.willHaveImage(request, draws);
    QuotaLimiter.Admission admission =
        engine.admit(quotaKey, model, image ? 1 : 0, request.promptTokens());
    if (!admission.admitted()) {
      call.error(ApiError.quotaExceeded(admission.violations(), model, admission.retryMillis()));
      return;
    }
    if (d.drop() || draws.fault == Draws.Fault.DROP) {
      call.at(latency, call::drop);
      return;
    }
    long deadline = serverTimeoutMillis(exchange);
    if (deadline > 0 && latency > deadline) {
      // The SDK sends its timeout as x-server-timeout; Google gives up at that deadline.
      call.at(deadline, () -> call.error(ApiError.deadlineExceeded()));
      return;
    }
    ApiError fault = ApiError.forFault(d.taskFail() ? Draws.Fault.INTERNAL : draws.fault);
    if (fault != null) {
      call.at(latency, () -> call.error(fault));
      return;
    }
    ResponseFactory.Answer answer = engine.answer(request, draws, image);
    if (stream) {
      boolean sse = "sse".equals(query(exchange, "alt"));
      call.stream(answer, sse, latency);
    } else {
      call.at(latency, () -> call.json(200, responses.full(answer), answer.png() != null));
    }
  }

  /** The client's deadline from {@code x-server-timeout} (seconds), or 0 if none. */
  private static long serverTimeoutMillis(HttpExchange exchange) {
    String value = exchange.getRequestHeaders().getFirst("x-server-timeout");
    if (value == null) {
      return 0;
    }
    try {
      return Math.max(0, Math.round(Double.parseDouble(value.trim()) * 1000));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The token of an {@code Authorization: Bearer} header, or null. */
  static String bearerToken(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  static String apiKey(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("x-goog-api-key");
    if (header != null && !header.isEmpty()) {
      return header;
    }
    return query(exchange, "key");
  }

  static String query(HttpExchange exchange, String name) {
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null) {
      return null;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (k.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** The body, or null when it exceeds the 20 MB payload limit (the rest is discarded). */
  static byte[] readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total <= RequestParser.MAX_PAYLOAD_BYTES) {
          out.write(buffer, 0, n);
        }
      }
      return total > RequestParser.MAX_PAYLOAD_BYTES ? null : out.toByteArray();
    }
  }

  static void drain(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  private void writeJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
    PendingCall.writeJson(exchange, json, status, body);
  }
}
