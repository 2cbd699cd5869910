package io.editstream.emulator;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every protocol of the emulator shares: the random draws of a request, its latency, the
 * quotas and the rendering of the edited image. The Gemini, Vertex AI and WaveSpeed routes differ
 * only in how they read a request and shape the answer.
 */
final class EditEngine {

  private final EmulatorConfig config;
  private final QuotaLimiter quotas;
  private final ImageRenderer renderer = new ImageRenderer();

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

  EditEngine(EmulatorConfig config) {
    this.config = config;
    this.quotas =
        new QuotaLimiter(config.clock(), config.rpm(), config.ipm(), config.tpm(), config.rpd());
  }

  EmulatorConfig config() {
    return config;
  }

  /** The draws for one request and how many times that exact request was seen before. */
  record Seen(Draws draws, long before) {}

  /** Counts this request (by model, body and directive header) and draws its randomness. */
  Seen see(String model, byte[] body, String directiveHeader) {
    Digest digest = digest(model, body, directiveHeader);
    long seen = occurrences.get(digest, k -> new AtomicLong()).getAndIncrement();
    return new Seen(new Draws(config, digest.high(), seen), seen);
  }

  /** The latency of a request: a directive's override, a slow answer, or the log-normal draw. */
  long latency(GenerateRequest request, Draws draws) {
    Directives d = request.directives();
    return d.slowMs() >= 0
        ? d.slowMs()
        : draws.slow
            ? config.slowMs()
            : draws.latencyMillis(
                config.latencyMeanMs() * request.outputSize().latencyFactor, config.latencySigma());
  }

  /** Whether the answer to this request will carry an image (for IPM accounting). */
  static boolean willHaveImage(GenerateRequest request, Draws draws) {
    Directives d = request.directives();
    return request.wantsImage()
        && !d.noImage()
        && d.blockReason() == null
        && d.finishReason() == null
        && !d.nsfw()
        && !d.taskFail()
        && draws.fault == Draws.Fault.NONE;
  }

  QuotaLimiter.Admission admit(String keyId, String model, long images, long inputTokens) {
    return quotas.tryAdmit(keyId, model, images, inputTokens);
  }

  void resetQuotas() {
    quotas.reset();
  }

  /**
   * The model's answer to a request that got past quotas and faults: blocked, filtered, text only
   * or an edited image. Online calls and batches answer with this same method.
   */
  ResponseFactory.Answer answer(GenerateRequest request, Draws draws, boolean image) {
    Directives d = request.directives();
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
            : d.nsfw() || draws.fault == Draws.Fault.IMAGE_SAFETY ? "IMAGE_SAFETY" : null;
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

  /** The edited image as a PNG; identical edits render once. */
  byte[] render(GenerateRequest request) {
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
            config.cheapRender() ? CHEAP_RENDER_TEXT : request.instruction(),
            caption,
            width,
            height);
    byte[] png = cachedRender(job);
    return config.cheapRender()
        ? ImageRenderer.withText(png, "instruction", request.instruction())
        : png;
  }

  /** What a cheap render draws in place of the instruction (see EmulatorConfig#cheapRender). */
  static final String CHEAP_RENDER_TEXT = "cheap render: the instruction is in the PNG's text";

  private byte[] cachedRender(ImageRenderer.Job job) {
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

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time comparison of a presented secret with the configured one. */
  static boolean sameSecret(String presented, String expected) {
    return MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }
}
