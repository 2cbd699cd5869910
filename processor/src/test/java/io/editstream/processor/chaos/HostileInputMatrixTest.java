package io.editstream.processor.chaos;

import static io.editstream.processor.testsupport.Pipeline.job;
import static io.editstream.processor.testsupport.Pipeline.uriJob;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.emulator.EmulatorStats;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs that {@code it.ProcessorEndToEndTest} does not already cover, each of which must
 * end in a clear failure event (with the right code and a message naming the field) or a DLQ entry,
 * without crashing or stalling the processor; afterwards a valid job still succeeds.
 *
 * <p>Two processors, as an operator would run them: <b>strict</b> (production defaults: public
 * image hosts only; the allow-list names only loopback spellings, so a broken address check could
 * only ever reach 127.0.0.1) and <b>dev</b> ({@code input.http.allow.private=true}, allow-list
 * {@code 127.0.0.1}) that can reach a local image server which redirects, never answers, streams
 * 200 MB or serves HTML as image/png. No request ever leaves 127.0.0.1: the non-loopback targets
 * (10.0.0.1, 169.254.169.254) are not on any allow-list, and the image server counts what reaches
 * it, so "refused before connecting" is checked, not assumed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputMatrixTest {
  private static final long HUGE = 200L * 1024 * 1024;

  /** What a hostile input must lead to: a failure with this code, or the DLQ ({@code null}). */
  private record Case(String id, String input, boolean dev, FailureCode expected, String field) {
    boolean dlq() {
      return expected == null;
    }
  }

  private final List<Case> cases = new ArrayList<>();
  private Emulator emulator;
  private Pipeline strictPipeline;
  private Pipeline devPipeline;
  private EditstreamProcessor strict;
  private EditstreamProcessor dev;
  private HttpServer server;
  private ExecutorService serverThreads;
  private final CountDownLatch release = new CountDownLatch(1);
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final AtomicLong hugeBytesWritten = new AtomicLong();
  private String base;
  private long startNanos;
  private long matrixDoneNanos;
  private ThreadDeaths threadDeaths;

  @BeforeAll
  void runTheMatrix(@TempDir Path work) throws Exception {
    startNanos = System.nanoTime();
    threadDeaths = ThreadDeaths.watch();
    startImageServer();
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(9));
    Path inputs = Files.createDirectories(work.resolve("inputs"));
    Files.write(inputs.resolve("ok.png"), TestPngs.small(1));
    Files.writeString(work.resolve("secret.txt"), "outside the root");
    Files.createSymbolicLink(inputs.resolve("link.png"), work.resolve("secret.txt"));

    strictPipeline = new Pipeline();
    Map<String, String> s = strictPipeline.settings(emulator.baseUrl(), work.resolve("strict"));
    s.put("input.http.allow.hosts", "127.0.0.1,localhost,::ffff:127.0.0.1");
    s.put("input.file.root", inputs.toString());
    s.put("retry.max.attempts", "1");
    strict = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(s)));

    devPipeline = new Pipeline();
    Map<String, String> d = devPipeline.settings(emulator.baseUrl(), work.resolve("dev"));
    d.put("input.http.allow.hosts", "127.0.0.1");
    d.put("input.http.allow.private", "true");
    // One attempt: the image fetch that never answers fails after one deadline, not after five;
    // 8 s instead of the default 30 s keeps the suite short (the 200 MB stream is cut off at
    // 20 MB long before).
    d.put("retry.max.attempts", "1");
    d.put("input.http.timeout.ms", "8000");
    dev = EditstreamProcessor.start(ProcessorConfig.from(Settings.of(d)));

    submitStrictCases(inputs);
    submitDevCases();
    strictPipeline.flush();
    devPipeline.flush();

    // The never-answering server makes the slowest case: the 8 s fetch deadline.
    boolean all =
        readBoth(
            () -> cases.stream().allMatch(this::answered) && devPipeline.answered("control-ok"),
            Duration.ofSeconds(150));
    assertThat(all)
        .as("every hostile input answered; missing %s", cases.stream().filter(c -> !answered(c)))
        .isTrue();
    matrixDoneNanos = System.nanoTime();

    // After the matrix: one valid job on each processor still succeeds.
    byte[] png = TestPngs.small(2);
    strictPipeline.send(job("after-matrix", "remove the background after the matrix", png));
    devPipeline.send(uriJob("after-matrix", base + "/ok.png", "image/png"));
    strictPipeline.flush();
    devPipeline.flush();
    assertThat(
            readBoth(
                () ->
                    strictPipeline.answered("after-matrix") && devPipeline.answered("after-matrix"),
                Duration.ofSeconds(60)))
        .isTrue();
    // Anything doubled would show by now.
    strictPipeline.readToCommittedEnd(Duration.ofSeconds(30));
    devPipeline.readToCommittedEnd(Duration.ofSeconds(30));
    printTable();
  }

  private boolean readBoth(java.util.function.BooleanSupplier done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      strictPipeline.readUntil(done, Duration.ofMillis(200));
      devPipeline.readUntil(done, Duration.ofMillis(200));
    }
    return done.getAsBoolean();
  }

  private Pipeline pipelineOf(Case c) {
    return c.dev() ? devPipeline : strictPipeline;
  }

  private boolean answered(Case c) {
    Pipeline p = pipelineOf(c);
    return c.dlq() ? p.dlq.stream().anyMatch(r -> c.id().equals(r.key())) : p.answered(c.id());
  }

  // ---- the strict processor ------------------------------------------------------------------

  private void submitStrictCases(Path inputs) throws IOException {
    byte[] png = TestPngs.small(4);
    EditJob valid = job("valid-template", "remove the background", png);
    byte[] frame = strictPipeline.frame(valid);

    byte[] wrongMagic = frame.clone();
    wrongMagic[0] = 1;
    strictRaw("wrong-magic", "frame with magic byte 1 (Confluent framing uses 0)", wrongMagic);

    strictRaw(
        "truncated-avro",
        "valid magic byte and EditJob schema id, Avro body cut in half",
        Arrays.copyOf(frame, 5 + (frame.length - 5) / 2));

    strictRaw(
        "frame-header-only", "magic byte and EditJob schema id, no body", Arrays.copyOf(frame, 5));

    strictCase("zero-images", "a job with an empty image list", FailureCode.NO_IMAGES, "images")
        .accept(job("zero-images", "remove the background"));

    strictCase(
            "instruction-1mb",
            "instruction of 1,000,000 characters (1 MB)",
            FailureCode.INSTRUCTION_TOO_LONG,
            "instruction")
        .accept(job("instruction-1mb", "x".repeat(1_000_000), png));

    EditJob badUtf8 = job("invalid-utf8", "make it pop QQQQQQQQ please", png);
    byte[] badFrame = strictPipeline.frame(badUtf8);
    replace(
        badFrame, "QQQQQQQQ", new byte[] {'a', (byte) 0xC3, '(', (byte) 0xFF, 'b', 'c', 'd', 'e'});
    cases.add(
        new Case(
            "invalid-utf8",
            "instruction holding invalid UTF-8 (0xC3 0x28, 0xFF) in the Avro string",
            false,
            FailureCode.INVALID_JOB,
            "instruction"));
    strictPipeline.sendRaw("invalid-utf8", badFrame);

    byte[] chelsea = resource("chelsea.png");
    strictCase(
            "truncated-png",
            "PNG cut at 5,000 of " + chelsea.length + " bytes (header intact)",
            FailureCode.UNSUPPORTED_IMAGE_TYPE,
            "images[0].data")
        .accept(job("truncated-png", "remove the background", Arrays.copyOf(chelsea, 5_000)));
    byte[] rocket = resource("rocket.jpg");
    strictCase(
            "jpeg-without-last-byte",
            "JPEG missing its last byte (" + (rocket.length - 1) + " of " + rocket.length + ")",
            FailureCode.UNSUPPORTED_IMAGE_TYPE,
            "images[0].data")
        .accept(
            job(
                "jpeg-without-last-byte",
                "remove the background",
                Arrays.copyOf(rocket, rocket.length - 1)));

    String port = Integer.toString(server.getAddress().getPort());
    strictUri("http-loopback", "http://127.0.0.1:" + port + "/strict/loopback.png");
    strictUri("http-localhost", "http://localhost:" + port + "/strict/localhost.png");
    strictUri("http-mapped-v6", "http://[::ffff:127.0.0.1]:" + port + "/strict/mapped.png");
    strictUri("http-private", "http://10.0.0.1/internal.png");
    strictUri("http-metadata", "http://169.254.169.254/latest/meta-data/");
    strictUri("http-userinfo", "http://user:secret@127.0.0.1:" + port + "/strict/creds.png");
    strictUri("file-symlink-out", inputs.resolve("link.png").toUri().toString());
    strictUri(
        "file-encoded-dotdot",
        inputs.toUri().toString().replaceAll("/$", "") + "/..%2F..%2F..%2Fetc%2Fpasswd");
    strictUri("ftp-scheme", "ftp://127.0.0.1:" + port + "/a.png");
  }

  private void strictRaw(String id, String input, byte[] value) {
    cases.add(new Case(id, input, false, null, null));
    strictPipeline.sendRaw(id, value);
  }

  private java.util.function.Consumer<EditJob> strictCase(
      String id, String input, FailureCode expected, String field) {
    cases.add(new Case(id, input, false, expected, field));
    return strictPipeline::send;
  }

  private void strictUri(String id, String uri) {
    cases.add(new Case(id, uri, false, FailureCode.URI_NOT_ALLOWED, "images[0].uri"));
    strictPipeline.send(uriJob(id, uri, "image/png"));
  }

  // ---- the dev processor (may reach 127.0.0.1) -----------------------------------------------

  private void submitDevCases() {
    // The control: the dev processor can fetch from this server, so its refusals are real ones.
    devPipeline.send(uriJob("control-ok", base + "/ok.png", "image/png"));
    devUri("redirect-private", "/redirect-private", "image/png", FailureCode.URI_NOT_ALLOWED);
    devUri("redirect-metadata", "/redirect-metadata", "image/png", FailureCode.URI_NOT_ALLOWED);
    devUri("redirect-localhost", "/redirect-localhost", "image/png", FailureCode.URI_NOT_ALLOWED);
    devUri("redirect-file", "/redirect-file", "image/png", FailureCode.URI_NOT_ALLOWED);
    devUri("redirect-loop", "/loop", "image/png", FailureCode.IMAGE_FETCH_FAILED);
    devUri("never-answers", "/never", "image/png", FailureCode.IMAGE_FETCH_FAILED);
    devUri("huge-stream-200mb", "/huge-stream", "image/png", FailureCode.IMAGE_TOO_LARGE);
    devUri("huge-declared-200mb", "/huge-declared", "image/png", FailureCode.IMAGE_TOO_LARGE);
    devUri("html-as-png", "/html-as-png", "image/png", FailureCode.UNSUPPORTED_IMAGE_TYPE);
    devUri(
        "truncated-png-by-uri", "/truncated.png", "image/png", FailureCode.UNSUPPORTED_IMAGE_TYPE);
  }

  private void devUri(String id, String path, String declared, FailureCode expected) {
    cases.add(new Case(id, base + path, true, expected, "images[0]"));
    devPipeline.send(uriJob(id, base + path, declared));
  }

  // ---- the image server on 127.0.0.1 ---------------------------------------------------------

  private void startImageServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    byte[] ok = TestPngs.small(5);
    handle("/ok.png", ex -> send(ex, 200, "image/png", ok));
    byte[] truncated = Arrays.copyOf(resource("chelsea.png"), 5_000);
    handle("/truncated.png", ex -> send(ex, 200, "image/png", truncated));
    handle("/strict/", ex -> send(ex, 200, "image/png", ok)); // must never be reached
    handle("/redirect-private", ex -> redirect(ex, "http://10.0.0.1/internal.png"));
    handle(
        "/redirect-metadata",
        ex -> redirect(ex, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"));
    handle(
        "/redirect-localhost",
        ex -> redirect(ex, "http://localhost:" + server.getAddress().getPort() + "/target.png"));
    handle("/target.png", ex -> send(ex, 200, "image/png", ok)); // must never be reached
    handle("/redirect-file", ex -> redirect(ex, "file:///etc/passwd"));
    handle("/loop", ex -> redirect(ex, "/loop"));
    handle(
        "/never",
        ex -> {
          try {
            release.await(); // never answers while the test runs
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
    handle("/huge-stream", this::streamHuge);
    handle(
        "/huge-declared",
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "image/png");
          ex.sendResponseHeaders(200, HUGE);
          ex.close(); // declares 200 MB, sends nothing: must be refused from the header alone
        });
    handle(
        "/html-as-png",
        ex ->
            send(
                ex,
                200,
                "image/png",
                "<html><body>not an image</body></html>".getBytes(StandardCharsets.UTF_8)));
    server.start();
  }

  /** 200 MB, chunked (no Content-Length), generated on the fly; stops when the client leaves. */
  private void streamHuge(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "image/png");
    ex.sendResponseHeaders(200, 0);
    byte[] chunk = new byte[64 * 1024];
    // A PNG signature first, so the body looks like what it claims until it is too big.
    System.arraycopy(
        new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, 0, chunk, 0, 8);
    try (OutputStream out = ex.getResponseBody()) {
      for (long sent = 0; sent < HUGE; sent += chunk.length) {
        out.write(chunk);
        hugeBytesWritten.addAndGet(chunk.length);
        chunk[0] = 0;
      }
    } catch (IOException clientLeft) {
      // expected: the processor cancels the download at its cap
    }
  }

  private interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  private void handle(String path, Handler h) {
    server.createContext(
        path,
        ex -> {
          hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger())
              .incrementAndGet();
          try {
            h.handle(ex);
          } finally {
            ex.close();
          }
        });
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  private static byte[] resource(String name) throws IOException {
    try (var in = HostileInputMatrixTest.class.getResourceAsStream("/images/" + name)) {
      if (in == null) {
        throw new IOException("no test image " + name);
      }
      return in.readAllBytes();
    }
  }

  private static void replace(byte[] haystack, String marker, byte[] with) {
    byte[] needle = marker.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        System.arraycopy(with, 0, haystack, i, with.length);
        return;
      }
    }
    throw new IllegalStateException("marker not found in the frame");
  }

  // ---- the checks ----------------------------------------------------------------------------

  @TestFactory
  Stream<DynamicTest> shouldGiveEachHostileInputItsClearOutcome() {
    return cases.stream()
        .map(c -> DynamicTest.dynamicTest(c.id() + ": " + c.input(), () -> check(c)));
  }

  private void check(Case c) {
    Pipeline p = pipelineOf(c);
    if (c.dlq()) {
      var record = p.dlq.stream().filter(r -> c.id().equals(r.key())).findFirst().orElseThrow();
      assertThat(header(record, "editstream.dlq.exception")).isNotBlank();
      assertThat(header(record, "editstream.dlq.message")).isNotBlank();
      assertThat(p.answered(c.id())).as("a DLQ record gets no outcome event").isFalse();
      return;
    }
    EditFailure f = p.failures.get(c.id());
    assertThat(f).as("failure for %s (result %s)", c.id(), p.results.get(c.id())).isNotNull();
    assertThat(f.getCode()).as("code for %s: %s", c.id(), f.getMessage()).isEqualTo(c.expected());
    assertThat(f.getMessage()).as("message names the field").contains(c.field());
    assertThat(f.getJob().getJobId()).isEqualTo(c.id());
  }

  @Test
  void shouldAnswerTheControlJobAndTheJobAfterTheMatrix() {
    assertThat(devPipeline.results).containsKeys("control-ok", "after-matrix");
    assertThat(strictPipeline.results).containsKey("after-matrix");
    assertThat(strict.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(dev.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(threadDeaths.count()).as("stream threads that died and were replaced").isZero();
  }

  @Test
  void shouldGiveExactlyOneOutcomePerInput() {
    assertThat(strictPipeline.doubled).isEmpty();
    assertThat(devPipeline.doubled).isEmpty();
    long strictDlq = cases.stream().filter(c -> !c.dev() && c.dlq()).count();
    assertThat(strictPipeline.dlq).hasSize((int) strictDlq);
    assertThat(devPipeline.dlq).isEmpty();
  }

  @Test
  void shouldCallTheModelOnlyForTheValidJobs() {
    // The control and one job per processor after the matrix; no hostile input (a truncated
    // image included) may cost a model call.
    assertThat(emulator.stats().requests()).isEqualTo(3);
  }

  @Test
  void shouldRefuseForbiddenTargetsBeforeConnecting() {
    assertThat(hits.keySet())
        .as("requests that reached the image server")
        .noneMatch(path -> path.startsWith("/strict/"))
        .doesNotContain("/target.png");
    assertThat(hits)
        .containsKeys("/ok.png", "/redirect-private", "/redirect-metadata", "/redirect-localhost");
  }

  @Test
  void shouldStopTheHugeDownloadAtTheCap() {
    assertThat(hits).containsKey("/huge-stream");
    assertThat(hugeBytesWritten.get())
        .as("bytes the server managed to write before the processor hung up")
        .isLessThan(HUGE / 2);
    assertThat(devPipeline.failures.get("huge-stream-200mb").getMessage()).contains("bytes");
  }

  @Test
  void shouldReportTheUnansweredFetchAsRetryable() {
    EditFailure f = devPipeline.failures.get("never-answers");
    assertThat(f.getRetryable()).isTrue();
    assertThat(f.getMessage()).contains("PT8S");
  }

  private void printTable() {
    Map<FailureCode, Integer> byCode = new EnumMap<>(FailureCode.class);
    strictPipeline.failuresByCode().forEach((k, v) -> byCode.merge(k, v, Integer::sum));
    devPipeline.failuresByCode().forEach((k, v) -> byCode.merge(k, v, Integer::sum));
    EmulatorStats stats = emulator.stats();
    int outcomes =
        strictPipeline.outcomes()
            + devPipeline.outcomes()
            + strictPipeline.dlq.size()
            + devPipeline.dlq.size();
    int expected = cases.size() + 3; // the control and one valid job per processor after the matrix
    ReliabilityTable.print(
        new ReliabilityTable.Row(
            "hostile-matrix",
            expected,
            Duration.ofNanos(System.nanoTime() - startNanos),
            0,
            0,
            stats.requests(),
            stats.answers(503),
            stats.answers(500),
            stats.answers(429),
            cases.size(),
            strictPipeline.results.size() + devPipeline.results.size(),
            byCode,
            strictPipeline.dlq.size() + devPipeline.dlq.size(),
            Math.max(0, expected - outcomes),
            strictPipeline.doubled.size() + devPipeline.doubled.size()));
    System.out.printf(
        "matrix answered in %d s (the never-answering URL waits out the 8 s fetch deadline);"
            + " the 200 MB stream got %d bytes out before the processor hung up%n",
        TimeUnit.NANOSECONDS.toSeconds(matrixDoneNanos - startNanos), hugeBytesWritten.get());
    for (Case c : cases) {
      Pipeline p = pipelineOf(c);
      String outcome =
          c.dlq()
              ? "DLQ"
              : p.results.containsKey(c.id())
                  ? "result"
                  : p.failures.get(c.id()).getCode() + ": " + p.failures.get(c.id()).getMessage();
      System.out.printf("| %s | %s | %s |%n", c.id(), c.input(), outcome);
    }
  }

  private static String header(
      org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @AfterAll
  void stop() {
    release.countDown();
    for (AutoCloseable c : Arrays.asList(strict, dev, strictPipeline, devPipeline, emulator)) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          System.out.println("close failed: " + e);
        }
      }
    }
    if (server != null) {
      server.stop(0);
    }
    if (serverThreads != null) {
      serverThreads.shutdownNow();
    }
  }
}
