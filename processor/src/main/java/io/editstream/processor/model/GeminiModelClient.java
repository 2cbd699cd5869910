package io.editstream.processor.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.google.genai.Client;
import com.google.genai.JsonSerializable;
import com.google.genai.errors.ApiException;
import com.google.genai.errors.GenAiIOException;
import com.google.genai.types.Blob;
import com.google.genai.types.Candidate;
import com.google.genai.types.ClientOptions;
import com.google.genai.types.Content;
import com.google.genai.types.GenerateContentConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.GenerateContentResponseUsageMetadata;
import com.google.genai.types.HttpOptions;
import com.google.genai.types.HttpRetryOptions;
import com.google.genai.types.ImageConfig;
import com.google.genai.types.ModalityTokenCount;
import com.google.genai.types.Part;
import io.editstream.processor.concurrent.AsyncFailure;
import io.editstream.processor.model.Outcome.Failure;
import io.editstream.processor.model.Outcome.GeneratedImage;
import io.editstream.processor.model.Outcome.Success;
import io.editstream.processor.model.Outcome.Usage;
import io.editstream.schema.FailureCode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * Google AI Studio (Gemini API) through the official google-genai SDK's async API. The SDK's own
 * retries are off (one attempt per call), OkHttp never sends a call twice (see {@link
 * #httpClient}), and a timeout is always set. Multi-step jobs run as one conversation: each model
 * turn, with its thought signatures, is sent back before the next step. {@link VertexModelClient}
 * uses the same door over the SDK's Vertex AI mode.
 */
public final class GeminiModelClient implements ModelClient {

  private static final Pattern RETRY_DELAY =
      Pattern.compile("\"retryDelay\"\\s*:\\s*\"([0-9]+(?:\\.[0-9]+)?)s\"");
  private static final Pattern QUOTA_ID = Pattern.compile("\"quotaId\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern KEY_PARAM = Pattern.compile("(?i)(key=)[^&\\s\"']+");
  private static final Set<String> SAFETY_REASONS =
      Set.of(
          "SAFETY",
          "IMAGE_SAFETY",
          "PROHIBITED_CONTENT",
          "IMAGE_PROHIBITED_CONTENT",
          "BLOCKLIST",
          "SPII",
          "RECITATION",
          "IMAGE_RECITATION");

  /**
   * Longest JSON string the SDK may read from an answer: the base64 of one image. Jackson's default
   * (20,000,000 chars) is less than a real 4K answer (a 4096x4096 PNG of ~15 MB is ~20 M chars), so
   * such an answer could never be read, however often it was paid for. The largest image the API
   * sends is 4K, about 16.8 M pixels at any aspect ratio; as a PNG that does not compress at all,
   * at 4 bytes a pixel, it is 67 MB, or 89.5 M base64 chars. 96 Mi chars covers that and still
   * stops a runaway answer before it takes the heap.
   */
  static final int MAX_ANSWER_STRING_CHARS = 96 * 1024 * 1024;

  /** Names a request's leaving hook inside this process; {@link #sendOnce} strips it. */
  static final String CALL_HEADER = "x-editstream-call";

  // Leaving hooks of requests not sent yet, by call id (one map: every client's OkHttp client
  // shares the interceptor; ids are unique in the process).
  private static final java.util.concurrent.ConcurrentHashMap<String, Runnable> LEAVING =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final java.util.concurrent.atomic.AtomicLong CALL_IDS =
      new java.util.concurrent.atomic.AtomicLong();

  private final Client client;
  private final String provider;
  private final String apiKey;
  private final LongSupplier nanoTime;

  /** Settings for the Gemini API door. {@code baseUrl} null means Google's endpoint. */
  public record Settings(String apiKey, String baseUrl, Duration timeout, int maxConnections) {
    public Settings {
      if (apiKey == null || apiKey.isBlank()) {
        throw new IllegalArgumentException("GEMINI_API_KEY: an API key is required");
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("model.timeout.ms: must be > 0");
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("model.max.connections: must be >= 1");
      }
    }

    @Override
    public String toString() {
      return "Settings[apiKey=***, baseUrl=%s, timeout=%s, maxConnections=%d]"
          .formatted(baseUrl, timeout, maxConnections);
    }
  }

  public GeminiModelClient(Settings settings) {
    this(settings, System::nanoTime);
  }

  GeminiModelClient(Settings settings, LongSupplier nanoTime) {
    this(sdkClient(settings), "ai-studio", settings.apiKey(), nanoTime);
  }

  /**
   * The SDK client this door uses for {@code settings}: one attempt per call, requests never sent
   * twice by OkHttp, the timeout set. Other Gemini API doors (the batch lane) build theirs here.
   */
  public static Client sdkClient(Settings settings) {
    return Client.builder()
        .apiKey(settings.apiKey())
        .httpOptions(httpOptions("v1beta", settings.baseUrl(), settings.timeout()))
        .clientOptions(clientOptions(settings.maxConnections()))
        .build();
  }

  /**
   * A door over an already configured SDK client (AI Studio or Vertex AI mode).
   *
   * @param secret the credential to scrub from any message, or null
   */
  GeminiModelClient(Client client, String provider, String secret, LongSupplier nanoTime) {
    readLargeAnswers();
    this.client = client;
    this.provider = provider;
    this.apiKey = secret;
    this.nanoTime = nanoTime;
  }

  /**
   * Raises the string limit of the SDK's JSON reader (one mapper, shared by every SDK client in the
   * process) to {@link #MAX_ANSWER_STRING_CHARS}; its other limits stay as they are. The SDK's
   * mapper only, not Jackson's global default; never lowers a limit someone set higher.
   */
  static synchronized void readLargeAnswers() {
    JsonFactory json = JsonSerializable.objectMapper().getFactory();
    if (json.streamReadConstraints().getMaxStringLength() < MAX_ANSWER_STRING_CHARS) {
      json.setStreamReadConstraints(
          json.streamReadConstraints().rebuild().maxStringLength(MAX_ANSWER_STRING_CHARS).build());
    }
  }

  static HttpOptions httpOptions(String apiVersion, String baseUrl, Duration timeout) {
    HttpOptions.Builder http =
        HttpOptions.builder()
            .apiVersion(apiVersion)
            .timeout(Math.toIntExact(timeout.toMillis()))
            // attempts(1) alone still sleeps the SDK's backoff (~1 s) after a retryable status in
            // SDK 2.0.0; with no retryable codes errors come back at once and our loop waits.
            .retryOptions(
                HttpRetryOptions.builder().attempts(1).httpStatusCodes(List.of()).build());
    if (baseUrl != null && !baseUrl.isBlank()) {
      http.baseUrl(baseUrl);
    }
    return http.build();
  }

  static ClientOptions clientOptions(int maxConnections) {
    return ClientOptions.builder().customHttpClient(httpClient(maxConnections)).build();
  }

  /**
   * The OkHttp client under the SDK, built here rather than by the SDK. The SDK's own lets OkHttp
   * send a request again by itself: after a connection closed without an answer (its
   * retryOnConnectionFailure, on by default), after a 408 or a 503 with {@code Retry-After: 0}, or
   * on a redirect. A model call is billed and not idempotent, so the server must see it once per
   * attempt of the processor's retry loop, the only loop. Every request body is marked one-shot,
   * which stops all of those re-sends; retryOnConnectionFailure stays on so that OkHttp still tries
   * another address or connection when the request never left (a failed connect, a connection the
   * server had already shut down), which is safe and costs no attempt.
   *
   * <p>As in the SDK's own client there are no per-phase timeouts (OkHttp's default read timeout,
   * 10 s, is shorter than a 4K generation): the SDK sets HttpOptions.timeout as the call timeout on
   * top of this client, and adds its retry interceptor (one attempt) and, for Vertex, its token
   * refresh. The dispatcher takes over ClientOptions.maxConnections, which the SDK ignores when
   * given a client.
   */
  static OkHttpClient httpClient(int maxConnections) {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(maxConnections);
    dispatcher.setMaxRequestsPerHost(maxConnections);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(maxConnections, 5, TimeUnit.MINUTES))
        .connectTimeout(Duration.ZERO)
        .readTimeout(Duration.ZERO)
        .writeTimeout(Duration.ZERO)
        .addInterceptor(GeminiModelClient::sendOnce)
        .build();
  }

  /**
   * Marks the request body one-shot: OkHttp never sends a request that may have left again. Runs
   * the request's {@link #generate(ModelRequest, Runnable) leaving} hook, named by {@link
   * #CALL_HEADER}, which it strips: the header never leaves the process.
   */
  private static Response sendOnce(Interceptor.Chain chain) throws IOException {
    Request request = chain.request();
    String call = request.header(CALL_HEADER);
    if (call != null) {
      request = request.newBuilder().removeHeader(CALL_HEADER).build();
      Runnable leaving = LEAVING.remove(call);
      if (leaving != null) {
        leaving.run();
      }
    }
    RequestBody body = request.body();
    if (body == null || body.isOneShot()) {
      return chain.proceed(request);
    }
    return chain.proceed(request.newBuilder().method(request.method(), new OneShot(body)).build());
  }

  private static final class OneShot extends RequestBody {
    private final RequestBody body;

    OneShot(RequestBody body) {
      this.body = body;
    }

    @Override
    public MediaType contentType() {
      return body.contentType();
    }

    @Override
    public long contentLength() throws IOException {
      return body.contentLength();
    }

    @Override
    public boolean isOneShot() {
      return true;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      body.writeTo(sink);
    }
  }

  @Override
  public String provider() {
    return provider;
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    return conversation(request, config(request));
  }

  /** The request's turns under {@code config}: the first turn, then one per step. */
  private CompletableFuture<Outcome> conversation(
      ModelRequest request, GenerateContentConfig config) {
    List<Content> history = new ArrayList<>();
    history.add(firstTurn(request));
    return turn(request, config, history, 0, Usage.NONE, Duration.ZERO);
  }

  /**
   * Runs {@code leaving} on OkHttp's thread just before the first request goes out, after the SDK
   * built it and OkHttp's dispatcher let it through: on a cold JVM that is up to seconds after the
   * call began, and the server counts the call from its arrival (issue 17: the quota log freed
   * slots a second early and the server answered 429). The request carries an id in {@link
   * #CALL_HEADER}, which {@link #sendOnce} strips. A request that never leaves never runs it.
   */
  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request, Runnable leaving) {
    String call = Long.toString(CALL_IDS.incrementAndGet());
    GenerateContentConfig config =
        config(request).toBuilder()
            .httpOptions(HttpOptions.builder().headers(Map.of(CALL_HEADER, call)).build())
            .build();
    LEAVING.put(call, leaving);
    // Removed when the conversation ends, answered or failed (turn makes SDK errors a failed step).
    return conversation(request, config).whenComplete((o, e) -> LEAVING.remove(call));
  }

  /** The first user turn of a request as it is sent: the input images, then the instruction. */
  public static Content firstTurn(ModelRequest request) {
    List<Part> first = new ArrayList<>();
    for (ModelRequest.InputPart image : request.images()) {
      first.add(Part.fromBytes(image.bytes(), image.mimeType()));
    }
    first.add(Part.fromText(request.instruction()));
    return Content.builder().role("user").parts(first).build();
  }

  /**
   * What one answer of the model comes to, exactly as for an online call: the batch lane maps the
   * answers inside a batch with it.
   */
  public static Outcome outcomeOf(GenerateContentResponse response, String provider) {
    return interpret(response, Usage.NONE, Duration.ZERO, provider).outcome();
  }

  /**
   * The failure an SDK exception (or an error the API reported inside a batch, as an {@link
   * ApiException}) comes to, exactly as for an online call; {@code secret} is scrubbed from the
   * message.
   */
  public static Failure failureOf(Throwable error, String secret) {
    return classify(error, secret);
  }

  private CompletableFuture<Outcome> turn(
      ModelRequest request,
      GenerateContentConfig config,
      List<Content> history,
      int step,
      Usage usageSoFar,
      Duration timeSoFar) {
    long start = nanoTime.getAsLong();
    CompletableFuture<GenerateContentResponse> call;
    try {
      call = client.async.models.generateContent(request.model(), List.copyOf(history), config);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.handle(
            (response, error) -> {
              Duration elapsed = timeSoFar.plusNanos(nanoTime.getAsLong() - start);
              if (error != null) {
                return new Step(classify(error).withModelTime(elapsed), null);
              }
              return interpret(response, usageSoFar, elapsed, provider);
            })
        .thenCompose(
            s -> {
              if (s.outcome() instanceof Success success && step < request.steps().size()) {
                List<Content> next = new ArrayList<>(history);
                next.add(s.modelTurn());
                next.add(
                    Content.builder()
                        .role("user")
                        .parts(List.of(Part.fromText(request.steps().get(step))))
                        .build());
                return turn(request, config, next, step + 1, success.usage(), success.modelTime());
              }
              return CompletableFuture.completedFuture(s.outcome());
            });
  }

  private record Step(Outcome outcome, Content modelTurn) {}

  private static Step interpret(
      GenerateContentResponse response, Usage usageSoFar, Duration elapsed, String provider) {
    Usage usage = usageSoFar.plus(usage(response.usageMetadata()));
    Optional<String> blockReason =
        response.promptFeedback().flatMap(f -> f.blockReason()).map(Object::toString);
    if (blockReason.isPresent()) {
      return new Step(
          new Failure(
              FailureCode.PROMPT_BLOCKED,
              false,
              200,
              blockReason.get(),
              "the model blocked the prompt: " + blockReason.get(),
              null,
              elapsed),
          null);
    }
    // response.parts() throws on safety finish reasons: read the candidates directly.
    Optional<Candidate> candidate =
        response.candidates().filter(c -> !c.isEmpty()).map(c -> c.get(0));
    if (candidate.isEmpty()) {
      return new Step(
          new Failure(
              FailureCode.NO_IMAGE,
              false,
              200,
              null,
              "the model returned no candidate",
              null,
              elapsed),
          null);
    }
    String finish = candidate.get().finishReason().map(Object::toString).orElse(null);
    Content content = candidate.get().content().orElse(null);
    List<GeneratedImage> images = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    if (content != null) {
      for (Part part : content.parts().orElse(List.of())) {
        if (part.thought().orElse(false)) {
          continue;
        }
        part.text().ifPresent(text::append);
        Optional<Blob> blob = part.inlineData();
        if (blob.isPresent() && blob.get().data().isPresent()) {
          images.add(
              new GeneratedImage(
                  blob.get().data().get(), blob.get().mimeType().orElse("image/png")));
        }
      }
    }
    if (images.isEmpty()) {
      String reason = finish == null ? "" : finish.toUpperCase(Locale.ROOT);
      FailureCode code =
          SAFETY_REASONS.contains(reason)
              ? FailureCode.IMAGE_SAFETY
              : "STOP".equals(reason) || "NO_IMAGE".equals(reason) || reason.isEmpty()
                  ? FailureCode.NO_IMAGE
                  : FailureCode.MODEL_ERROR;
      String message =
          code == FailureCode.NO_IMAGE
              ? "the model answered without an image"
                  + (text.isEmpty() ? "" : ": " + abbreviate(text.toString()))
              : "the model stopped with finishReason " + finish;
      return new Step(new Failure(code, false, 200, finish, message, null, elapsed), null);
    }
    Success success =
        new Success(
            images,
            text.isEmpty() ? null : text.toString(),
            response.modelVersion().orElse(null),
            usage,
            elapsed,
            provider);
    return new Step(success, content);
  }

  private static Usage usage(Optional<GenerateContentResponseUsageMetadata> metadata) {
    if (metadata.isEmpty()) {
      return Usage.NONE;
    }
    GenerateContentResponseUsageMetadata m = metadata.get();
    int imageOut = 0;
    for (ModalityTokenCount count : m.candidatesTokensDetails().orElse(List.of())) {
      if (count.modality().map(x -> x.toString().equalsIgnoreCase("IMAGE")).orElse(false)) {
        imageOut += count.tokenCount().orElse(0);
      }
    }
    return new Usage(
        m.promptTokenCount().orElse(0),
        m.candidatesTokenCount().orElse(0),
        imageOut,
        m.totalTokenCount().orElse(0));
  }

  /** The generation config of a request: text and image out, its size and aspect ratio. */
  public static GenerateContentConfig config(ModelRequest request) {
    ImageConfig.Builder image =
        ImageConfig.builder().imageSize(ModelRequest.imageSizeParameter(request.size()));
    if (request.aspectRatio() != null) {
      image.aspectRatio(request.aspectRatio());
    }
    return GenerateContentConfig.builder()
        .responseModalities("TEXT", "IMAGE")
        .imageConfig(image.build())
        .build();
  }

  /** Maps any exception of the SDK to a failure value; package-private for tests. */
  Failure classify(Throwable error) {
    return classify(error, apiKey);
  }

  private static Failure classify(Throwable error, String secret) {
    Throwable e = AsyncFailure.unwrap(error);
    if (e instanceof ApiException api) {
      int status = api.code();
      String message = scrub(api.message(), secret);
      Duration retryAfter = retryDelay(api.message()).orElse(null);
      String detail = "HTTP " + status + " " + api.status() + ": " + abbreviate(message);
      if (status == 429) {
        return Failure.retryable(FailureCode.QUOTA_EXHAUSTED, status, detail, retryAfter)
            .withQuotaId(quotaId(api.message()).orElse(null));
      }
      if (status == 408 || status == 504) {
        return Failure.retryable(FailureCode.MODEL_TIMEOUT, status, detail, retryAfter);
      }
      if (status >= 500) {
        return Failure.retryable(FailureCode.MODEL_UNAVAILABLE, status, detail, retryAfter);
      }
      if (status == 401 || status == 403 || message.contains("API_KEY_INVALID")) {
        return Failure.permanent(FailureCode.MODEL_AUTH, status, null, detail);
      }
      if (status == 404) {
        return Failure.permanent(FailureCode.MODEL_NOT_FOUND, status, null, detail);
      }
      if (status == 400) {
        return Failure.permanent(FailureCode.MODEL_INVALID_ARGUMENT, status, null, detail);
      }
      return Failure.permanent(FailureCode.MODEL_ERROR, status, null, detail);
    }
    Optional<JsonProcessingException> unreadable = unreadableAnswer(e);
    if (unreadable.isPresent()) {
      // The call was made and is billed; the same request would be billed again for an answer
      // that is likely unreadable again. Not a connection failure: no failover, no retry.
      return Failure.permanent(
          FailureCode.MODEL_BAD_RESPONSE,
          null,
          null,
          "the model's answer could not be read: "
              + abbreviate(scrub(unreadable.get().getOriginalMessage(), secret)));
    }
    if (e instanceof GenAiIOException || e instanceof java.io.IOException) {
      boolean timeout = isTimeout(e);
      return Failure.retryable(
          timeout ? FailureCode.MODEL_TIMEOUT : FailureCode.MODEL_UNAVAILABLE,
          null,
          (timeout ? "model call timed out: " : "model connection failed: ")
              + scrub(String.valueOf(rootMessage(e)), secret),
          null);
    }
    return Failure.retryable(
        FailureCode.MODEL_ERROR,
        null,
        "unexpected model client error: "
            + e.getClass().getSimpleName()
            + ": "
            + scrub(rootMessage(e), secret),
        null);
  }

  /** The SDK reports an answer it cannot parse as a GenAiIOException caused by Jackson's error. */
  private static Optional<JsonProcessingException> unreadableAnswer(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof JsonProcessingException json) {
        return Optional.of(json);
      }
    }
    return Optional.empty();
  }

  private static boolean isTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedIOException
          || (t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains("timeout"))
          || (t.getMessage() != null
              && t.getMessage().toLowerCase(Locale.ROOT).contains("timed out"))) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The server's RetryInfo.retryDelay, which the SDK only exposes inside the message. */
  static Optional<Duration> retryDelay(String message) {
    if (message == null) {
      return Optional.empty();
    }
    Matcher m = RETRY_DELAY.matcher(message);
    if (!m.find()) {
      return Optional.empty();
    }
    double seconds = Double.parseDouble(m.group(1));
    return Optional.of(Duration.ofNanos((long) (seconds * 1_000_000_000L)));
  }

  /**
   * The quota a 429's QuotaFailure names (also only inside the message): a per-day one when any
   * violation is per day, since nothing passes before the daily reset then.
   */
  static Optional<String> quotaId(String message) {
    if (message == null) {
      return Optional.empty();
    }
    Matcher m = QUOTA_ID.matcher(message);
    String first = null;
    while (m.find()) {
      if (m.group(1).contains("PerDay")) {
        return Optional.of(m.group(1));
      }
      first = first == null ? m.group(1) : first;
    }
    return Optional.ofNullable(first);
  }

  /** Removes the API key from any text that may reach a log or an event. */
  String scrub(String text) {
    return scrub(text, apiKey);
  }

  private static String scrub(String text, String secret) {
    if (text == null) {
      return "";
    }
    String out = text;
    if (secret != null && !secret.isEmpty()) {
      out = out.replace(secret, "***");
    }
    return KEY_PARAM.matcher(out).replaceAll("$1***");
  }

  private static String abbreviate(String s) {
    String oneLine = s.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "…";
  }

  @Override
  public void close() {
    client.close();
  }
}
