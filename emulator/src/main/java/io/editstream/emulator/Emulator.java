package io.editstream.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running model API emulator (Gemini via AI Studio and Vertex AI paths, the Gemini Batch and
 * Files APIs, WaveSpeed submit/poll). Start it with {@link #start(EmulatorConfig)}, point a client
 * at {@link #baseUrl()}, read {@link #stats()}, and {@link #close()} it when done.
 *
 * <pre>{@code
 * try (Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(20))) {
 *   Client client = Client.builder().apiKey("any")
 *       .httpOptions(HttpOptions.builder().baseUrl(emulator.baseUrl()).apiVersion("v1beta")...)
 *       .build();
 * }
 * }</pre>
 *
 * <p>Thread-safe. Each instance has its own quotas, statistics and request history.
 */
public final class Emulator implements AutoCloseable {

  static {
    // Rendering must never need a display; and small answers must not wait for Nagle.
    System.setProperty("java.awt.headless", "true");
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final EmulatorConfig config;
  private final HttpServer server;
  private final ExecutorService workers;
  private final ScheduledThreadPoolExecutor timer;
  private final ExecutorService batchWork;
  private final StatsRecorder stats;
  private final EditEngine engine;

  private Emulator(
      EmulatorConfig config,
      HttpServer server,
      ExecutorService workers,
      ScheduledThreadPoolExecutor timer,
      ExecutorService batchWork,
      StatsRecorder stats,
      EditEngine engine) {
    this.config = config;
    this.server = server;
    this.workers = workers;
    this.timer = timer;
    this.batchWork = batchWork;
    this.stats = stats;
    this.engine = engine;
  }

  /**
   * The {@code imageConfig.aspectRatio} values this emulator accepts, as the real API does; any
   * other value is answered with 400 INVALID_ARGUMENT. Immutable.
   */
  public static Set<String> aspectRatios() {
    return RequestParser.ASPECT_RATIOS.keySet();
  }

  /**
   * Binds {@code config.host():config.port()} (port 0 picks a free port) and starts serving.
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static Emulator start(EmulatorConfig config) {
    ExecutorService workers = Executors.newCachedThreadPool(daemonThreads("emulator-http-"));
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(1, daemonThreads("emulator-timer-"));
    timer.setRemoveOnCancelPolicy(true);
    StatsRecorder stats = new StatsRecorder();
    EditEngine engine = new EditEngine(config);
    ObjectMapper json = new ObjectMapper();
    // Batch requests are answered a few at a time, as the renderer can only work that fast anyway.
    ExecutorService batchWork =
        Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            daemonThreads("emulator-batch-"));
    FileStore files = new FileStore(config.clock(), config.seed());
    BatchJobs batches = new BatchJobs(engine, json, files, stats, batchWork);
    BatchEndpoint batchEndpoint = new BatchEndpoint(config, json, batches, files, stats);
    GeminiEndpoint endpoint =
        new GeminiEndpoint(engine, json, stats, workers, timer, batchEndpoint);
    WaveSpeedEndpoint wavespeed = new WaveSpeedEndpoint(engine, json, stats, workers, timer);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 1024);
    } catch (IOException e) {
      workers.shutdownNow();
      timer.shutdownNow();
      batchWork.shutdownNow();
      throw new UncheckedIOException(
          "Cannot bind the emulator to " + config.host() + ":" + config.port(), e);
    }
    server.createContext("/", endpoint);
    server.createContext(WaveSpeedEndpoint.PREFIX, wavespeed);
    server.setExecutor(workers);
    server.start();
    return new Emulator(config, server, workers, timer, batchWork, stats, engine);
  }

  /** The bound port (the real one when the config asked for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://HOST:PORT}, without a trailing slash: the SDK's {@code baseUrl}. */
  public String baseUrl() {
    String host = config.host();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port();
  }

  public EmulatorConfig config() {
    return config;
  }

  /** What the emulator has seen so far; the same data as {@code GET /stats}. */
  public EmulatorStats stats() {
    return stats.snapshot();
  }

  /** Zeroes the statistics (peak concurrency restarts from the current level). */
  public void resetStats() {
    stats.reset();
  }

  /** Forgets quota usage, so the next request starts with full windows. */
  public void resetQuotas() {
    engine.resetQuotas();
  }

  /** Stops serving; calls still waiting out their latency are cut off. */
  @Override
  public void close() {
    server.stop(0);
    timer.shutdownNow();
    batchWork.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
