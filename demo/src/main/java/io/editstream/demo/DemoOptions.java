package io.editstream.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one demo run does.
 *
 * @param outputDir where images, the report, the summary and the log go (created if missing)
 * @param provider the in-process emulator, or a real Gemini API
 * @param geminiApiKey the key for {@link Provider#GEMINI}; null for the emulator. Never printed.
 * @param geminiBaseUrl base URL for {@link Provider#GEMINI}; null calls Google
 * @param emulatorLatencyMs mean latency of the emulator for a 512 px edit (the real API: ~2,800)
 * @param timeout how long to wait for every job's outcome
 * @param blobStore where the processor stores finished images
 * @param images the folder of the user's own photos ({@code --images}); null for the bundled set
 * @param jobCount how many jobs to submit ({@code --jobs}); 0 for one per sample or photo
 */
public record DemoOptions(
    Path outputDir,
    Provider provider,
    String geminiApiKey,
    String geminiBaseUrl,
    long emulatorLatencyMs,
    Duration timeout,
    BlobStore blobStore,
    Path images,
    int jobCount) {

  /** Who answers the model calls. */
  public enum Provider {
    /** The in-process Gemini API emulator (no key, no cost, fault markers work). */
    EMULATOR,
    /** A real Gemini API: Google's, or {@code GEMINI_BASE_URL}. */
    GEMINI
  }

  /** Where the processor stores finished images, and so how the demo reads them back. */
  public enum BlobStore {
    /**
     * A directory of the processor's host ({@code blob.store=local}); small images also travel
     * inline in the results. The default: nothing else to start.
     */
    LOCAL,
    /**
     * An embedded S3Proxy bucket ({@code blob.store=s3}) with presigned URLs and no inline images,
     * so every image is read back over HTTP the way a consumer on another host would.
     */
    S3;

    /** The option's value ({@code local}, {@code s3}; any case) as a store. */
    public static BlobStore parse(String value) {
      String v = value == null ? "" : value.strip().toLowerCase(java.util.Locale.ROOT);
      return switch (v) {
        case "local" -> LOCAL;
        case "s3" -> S3;
        default ->
            throw new IllegalArgumentException(
                "--blob-store must be local or s3, was '" + (value == null ? "" : value) + "'");
      };
    }

    /** The option's value for this store. */
    public String optionValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The demo's emulator latency: low, so the whole run takes well under a minute. */
  public static final long DEFAULT_EMULATOR_LATENCY_MS = 600;

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

  /** A demo, not a load test: the bench module is for more. */
  public static final int MAX_JOBS = 1_000;

  public DemoOptions {
    Objects.requireNonNull(outputDir, "outputDir");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(blobStore, "blobStore");
    if (provider == Provider.GEMINI && (geminiApiKey == null || geminiApiKey.isBlank())) {
      throw new IllegalArgumentException(
          "GEMINI_API_KEY must be set to use the real Gemini API (or pass --emulator)");
    }
    if (emulatorLatencyMs < 0 || emulatorLatencyMs > 60_000) {
      throw new IllegalArgumentException(
          "--emulator-latency-ms (emulator latency) must be in 0..60000 ms, was "
              + emulatorLatencyMs);
    }
    if (jobCount < 0 || jobCount > MAX_JOBS) {
      throw new IllegalArgumentException(
          "--jobs must be between 1 and " + MAX_JOBS + ", was " + jobCount);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "--timeout-s (timeout) must be positive, was " + timeout.toSeconds());
    }
  }

  /**
   * The default choice: Google's API when {@code GEMINI_API_KEY} is set (at {@code GEMINI_BASE_URL}
   * if that is set too), else the emulator.
   */
  public static DemoOptions fromEnvironment(Path outputDir, Map<String, String> env) {
    String key = blank(env.get("GEMINI_API_KEY"));
    return new DemoOptions(
        outputDir,
        key == null ? Provider.EMULATOR : Provider.GEMINI,
        key,
        key == null ? null : blank(env.get("GEMINI_BASE_URL")),
        DEFAULT_EMULATOR_LATENCY_MS,
        DEFAULT_TIMEOUT,
        BlobStore.LOCAL,
        null,
        0);
  }

  public DemoOptions withProvider(Provider v) {
    return new DemoOptions(
        outputDir,
        v,
        geminiApiKey,
        geminiBaseUrl,
        emulatorLatencyMs,
        timeout,
        blobStore,
        images,
        jobCount);
  }

  public DemoOptions withEmulatorLatencyMs(long v) {
    return new DemoOptions(
        outputDir, provider, geminiApiKey, geminiBaseUrl, v, timeout, blobStore, images, jobCount);
  }

  public DemoOptions withTimeout(Duration v) {
    return new DemoOptions(
        outputDir,
        provider,
        geminiApiKey,
        geminiBaseUrl,
        emulatorLatencyMs,
        v,
        blobStore,
        images,
        jobCount);
  }

  public DemoOptions withBlobStore(BlobStore v) {
    return new DemoOptions(
        outputDir,
        provider,
        geminiApiKey,
        geminiBaseUrl,
        emulatorLatencyMs,
        timeout,
        v,
        images,
        jobCount);
  }

  public DemoOptions withImages(Path v) {
    return new DemoOptions(
        outputDir,
        provider,
        geminiApiKey,
        geminiBaseUrl,
        emulatorLatencyMs,
        timeout,
        blobStore,
        v,
        jobCount);
  }

  public DemoOptions withJobCount(int v) {
    return new DemoOptions(
        outputDir,
        provider,
        geminiApiKey,
        geminiBaseUrl,
        emulatorLatencyMs,
        timeout,
        blobStore,
        images,
        v);
  }

  private static String blank(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public String toString() {
    // Never print the key.
    return "DemoOptions[outputDir=%s, provider=%s, geminiApiKey=%s, geminiBaseUrl=%s, emulatorLatencyMs=%d, timeout=%s, blobStore=%s, images=%s, jobCount=%d]"
        .formatted(
            outputDir,
            provider,
            geminiApiKey == null ? "unset" : "***",
            geminiBaseUrl,
            emulatorLatencyMs,
            timeout,
            blobStore,
            images,
            jobCount);
  }
}
