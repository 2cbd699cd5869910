package io.editstream.bench.sidebyside;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recording HTTP pass-through in front of one emulator: every model call is forwarded unchanged
 * and noted as a {@link ModelCall} (arrival time, job marker, answer status). The systems under
 * test see only this address, so the log does not depend on them telling the truth about their own
 * calls. Bound to 127.0.0.1 on an ephemeral port.
 */
public final class CallRecorder implements AutoCloseable {
  /** The marker every benchmark job carries in its instruction. */
  static final Pattern JOB_MARKER = Pattern.compile("\\[job ([A-Za-z0-9._-]+)\\]");

  // The JDK client refuses to set these; it sets them itself.
  private static final Set<String> RESTRICTED =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding");

  private final String target;
  private final HttpServer server;
  private final ExecutorService workers;
  private final HttpClient client;
  private final ConcurrentLinkedQueue<ModelCall> calls = new ConcurrentLinkedQueue<>();

  private CallRecorder(String target, HttpServer server, ExecutorService workers) {
    this.target = target;
    this.server = server;
    this.workers = workers;
    this.client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(workers).build();
  }

  /** Starts forwarding to {@code targetBaseUrl} (e.g. the emulator's base URL). */
  public static CallRecorder start(String targetBaseUrl) throws IOException {
    AtomicInteger n = new AtomicInteger();
    ExecutorService workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "call-recorder-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    CallRecorder recorder = new CallRecorder(targetBaseUrl, server, workers);
    server.createContext("/", recorder::forward);
    server.setExecutor(workers);
    server.start();
    return recorder;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every model call so far, in no particular order. */
  public List<ModelCall> calls() {
    return new ArrayList<>(calls);
  }

  /** The time of the first model call, or -1 if there was none. */
  public long firstCallMillis() {
    return calls.stream().mapToLong(ModelCall::atMillis).min().orElse(-1);
  }

  /** The job id in {@code text}'s {@code [job ID]} marker, or "". */
  static String jobId(String text) {
    Matcher m = JOB_MARKER.matcher(text);
    return m.find() ? m.group(1) : "";
  }

  private void forward(HttpExchange exchange) throws IOException {
    long at = System.currentTimeMillis();
    String path = exchange.getRequestURI().getRawPath();
    boolean model = path.contains(":generateContent") || path.contains(":streamGenerateContent");
    int status = 0;
    boolean recorded = false;
    String job = "";
    try {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      if (model) {
        // Base64 never contains '[' or a space, so the marker is found only in the text parts.
        job = jobId(new String(body, StandardCharsets.ISO_8859_1));
      }
      String query = exchange.getRequestURI().getRawQuery();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(target + path + (query == null ? "" : "?" + query)))
              .method(
                  exchange.getRequestMethod(),
                  body.length == 0
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(body));
      exchange
          .getRequestHeaders()
          .forEach(
              (name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                  values.forEach(v -> request.header(name, v));
                }
              });
      HttpResponse<byte[]> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        // The emulator closed the connection (a drop fault): do the same to the caller.
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      status = response.statusCode();
      if (model) {
        // Before the answer goes out: whoever got it must find the call recorded.
        calls.add(new ModelCall(at, job, status));
        recorded = true;
      }
      response
          .headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!RESTRICTED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                  exchange.getResponseHeaders().put(name, values);
                }
              });
      byte[] answer = response.body();
      exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      } catch (IOException e) {
        // The caller went away (killed) after the emulator did the work: still a call.
      }
    } finally {
      exchange.close();
      if (model && !recorded) {
        calls.add(new ModelCall(at, job, status));
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow();
  }
}
