package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the Gemini REST endpoints, {@code /stats} and {@code /health}.
 *
 * <p>Threads: the HTTP server's (unbounded, cached) pool reads and validates a request and renders
 * its image; the latency wait holds no thread — a timer hands the answer back to the pool when it
 * is due. So hundreds of requests can wait out their latency at once.
 */
final class GeminiEndpoint implements HttpHandler {

  private static final Logger log = LoggerFactory.getLogger(GeminiEndpoint.class);
  private static final Pattern MODEL_PATH =
      Pattern.compile("^/(v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)$");

  private final EmulatorConfig config;
  private final ObjectMapper json;
  private final RequestParser parser;
  private final QuotaLimiter quotas;
  private final StatsRecorder stats;
  private final ResponseFactory responses = new ResponseFactory();
  private final ImageRenderer renderer = new ImageRenderer();
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;

  /**
   * How often each exact request has been seen: drives fail-times and fresh draws on retries.
   * Bounded so a long load test cannot exhaust memory; the oldest requests are forgotten first.
   */
  private final Cache<Digest, AtomicLong> occurrences =
      Caffeine.newBuilder().maximumSize(500_000).build();

  /** Identical edits render once, even when they arrive together. */
  private final AsyncCache<String, byte[]> renders =
      Caffeine.newBuilder()
          .maximumWeight(256L * 1024 * 1024)
          .weigher((String k, byte[] v) -> v.length)
          .buildAsync();

  private final Semaphore rendering =
      new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()));

  GeminiEndpoint(
      EmulatorConfig config,
      ObjectMapper json,
      StatsRecorder stats,
      ExecutorService workers,
      ScheduledExecutorService timer) {
    this.config = config;
    this.json = json;
    this.parser = new RequestParser(json);
    this.quotas =
        new QuotaLimiter(config.clock(), config.rpm(), config.ipm(), config.tpm(), config.rpd());
    this.stats = stats;
    this.workers = workers;
    this.timer = timer;
  }

  void resetQuotas() {
    quotas.reset();
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
      } else {
        Matcher m = MODEL_PATH.matcher(path);
        if (!m.matches()) {
          drain(exchange);
          writeJson(exchange, 404, ApiError.notFound(path).toJson());
        } else {
          modelCall(exchange, m.group(1), m.group(2), m.group(3));
        }
      }
    } catch (RuntimeException | IOException e) {
      log.warn("Request {} failed: {}", exchange.getRequestURI().getRawPath(), e.toString());
      exchange.close();
    }
  }

  private void modelCall(HttpExchange exchange, String version, String model, String method)
      throws IOException {
    long arrivedNanos = System.nanoTime();
    String key = apiKey(exchange);
    stats.started(EmulatorStats.keyId(key));
    PendingCall call =
        new PendingCall(exchange, arrivedNanos, json, responses, stats, workers, timer);
    try {
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
      if (config.apiKey() != null) {
        if (key == null || key.isEmpty()) {
          drain(exchange);
          call.error(ApiError.unregisteredCaller());
          return;
        }
        if (!MessageDigest.isEqual(
            key.getBytes(StandardCharsets.UTF_8),
            config.apiKey().getBytes(StandardCharsets.UTF_8))) {
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
      stats.model(model);
      byte[] body = readBody(exchange);
      if (body == null) {
        call.error(ApiError.payloadTooLarge());
        return;
      }
      String directiveHeader = exchange.getRequestHeaders().getFirst(Directives.HEADER);
      RequestParser.Result parsed = parser.parse(model, body, directiveHeader);
      if (parsed.error() != null) {
        call.error(parsed.error());
        return;
      }
      GenerateRequest request = parsed.request();
      Digest digest = digest(model, body, directiveHeader);
      long seen = occurrences.get(digest, k -> new AtomicLong()).getAndIncrement();
      Draws draws = new Draws(config, digest.high(), seen);
      Directives d = request.directives();

      long latency =
          d.slowMs() >= 0
              ? d.slowMs()
              : draws.slow
                  ? config.slowMs()
                  : draws.latencyMillis(
                      config.latencyMeanMs() * request.outputSize().latencyFactor,
                      config.latencySigma());

      // Triggered failures come before quota bookkeeping so retry tests are not throttled.
      if (d.failCode() != 0 && (d.failTimes() == 0 || seen < d.failTimes())) {
        ApiError error = ApiError.forCode(d.failCode(), model);
        call.at(d.failCode() == 429 ? 0 : latency, () -> call.error(error));
        return;
      }
      boolean image =
          request.wantsImage()
              && !d.noImage()
              && d.blockReason() == null
              && d.finishReason() == null
              && draws.fault == Draws.Fault.NONE;
      QuotaLimiter.Admission admission =
          quotas.tryAdmit(EmulatorStats.keyId(key), model, image ? 1 : 0, request.promptTokens());
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
      ApiError fault =
          switch (draws.fault) {
            case INTERNAL -> ApiError.internal();
            case UNAVAILABLE -> ApiError.unavailable();
            case DEADLINE -> ApiError.deadlineExceeded();
            default -> null;
          };
      if (fault != null) {
        call.at(latency, () -> call.error(fault));
        return;
      }
      ResponseFactory.Answer answer = answer(request, draws, d, image);
      if (stream) {
        boolean sse = "sse".equals(query(exchange, "alt"));
        call.stream(answer, sse, latency);
      } else {
        call.at(latency, () -> call.json(200, responses.full(answer), answer.png() != null));
      }
    } catch (RuntimeException | IOException e) {
      log.warn("Model call {} failed: {}", model, e.toString());
      call.error(ApiError.internal());
    }
  }

  private ResponseFactory.Answer answer(
      GenerateRequest request, Draws draws, Directives d, boolean image) {
    ResponseFactory.Prompt prompt = ResponseFactory.Prompt.of(request);
    String blockReason =
        d.blockReason() != null
            ? d.blockReason()
            : draws.fault == Draws.Fault.BLOCK ? "PROHIBITED_CONTENT" : null;
    if (blockReason != null) {
      return new ResponseFactory.Answer(prompt, draws.responseId, null, null, null, blockReason);
    }
    String finish =
        d.finishReason() != null
            ? d.finishReason()
            : draws.fault == Draws.Fault.IMAGE_SAFETY ? "IMAGE_SAFETY" : null;
    if (finish != null) {
      return new ResponseFactory.Answer(prompt, draws.responseId, null, null, finish, null);
    }
    if (!image) {
      String text =
          "I can't create an image for that, but here is what I would change: "
              + request.instruction();
      return new ResponseFactory.Answer(prompt, draws.responseId, text, null, "STOP", null);
    }
    byte[] png = render(request);
    String text = "Here is the edited image: " + request.instruction();
    return new ResponseFactory.Answer(prompt, draws.responseId, text, png, "STOP", null);
  }

  private byte[] render(GenerateRequest request) {
    InputImage input = request.latestImage();
    double aspect =
        request.aspectRatio() > 0
            ? request.aspectRatio()
            : input != null ? (double) input.width() / input.height() : 1.0;
    int longEdge = request.outputSize().longEdge;
    int width = aspect >= 1 ? longEdge : Math.max(1, (int) Math.round(longEdge * aspect));
    int height = aspect >= 1 ? Math.max(1, (int) Math.round(longEdge / aspect)) : longEdge;
    String caption =
        "editstream emulator · "
            + request.model()
            + " · turn "
            + request.userTurns()
            + " · "
            + width
            + "x"
            + height;
    ImageRenderer.Job job =
        new ImageRenderer.Job(
            input == null ? null : HexFormat.of().formatHex(sha256().digest(input.bytes())),
            input == null ? null : input.bytes(),
            input == null ? null : input.format(),
            request.instruction(),
            caption,
            width,
            height);
    String key = renderKey(job);
    // Render outside any map lock: the first caller renders, concurrent twins wait on its future.
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> existing = renders.asMap().putIfAbsent(key, mine);
    if (existing != null) {
      return existing.join();
    }
    // A few renders at a time: each needs megabytes of canvas, and hundreds at once exhaust the
    // heap without finishing any sooner on a few cores.
    rendering.acquireUninterruptibly();
    try {
      byte[] png = renderer.render(job);
      mine.complete(png);
      return png;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      renders.asMap().remove(key, mine);
      throw e;
    } finally {
      rendering.release();
    }
  }

  private static String renderKey(ImageRenderer.Job job) {
    MessageDigest sha = sha256();
    if (job.inputKey() != null) {
      sha.update(job.inputKey().getBytes(StandardCharsets.UTF_8));
    }
    sha.update((byte) 0);
    sha.update(job.instruction().getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(job.caption().getBytes(StandardCharsets.UTF_8));
    sha.update(ByteBuffer.allocate(8).putInt(job.width()).putInt(job.height()).array());
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The first 128 bits of a request's SHA-256. */
  private record Digest(long high, long low) {}

  private static Digest digest(String model, byte[] body, String directiveHeader) {
    MessageDigest sha = sha256();
    sha.update(model.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(body);
    if (directiveHeader != null) {
      sha.update((byte) 0);
      sha.update(directiveHeader.getBytes(StandardCharsets.UTF_8));
    }
    ByteBuffer hash = ByteBuffer.wrap(sha.digest());
    return new Digest(hash.getLong(), hash.getLong());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
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

  private static String apiKey(HttpExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst("x-goog-api-key");
    if (header != null && !header.isEmpty()) {
      return header;
    }
    return query(exchange, "key");
  }

  private static String query(HttpExchange exchange, String name) {
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
  private static byte[] readBody(HttpExchange exchange) throws IOException {
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

  private static void drain(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
  }

  private void writeJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
    PendingCall.writeJson(exchange, json, status, body);
  }
}
