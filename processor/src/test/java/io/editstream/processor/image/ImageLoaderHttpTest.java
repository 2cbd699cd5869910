package io.editstream.processor.image;

import static io.editstream.processor.image.Loads.loaded;
import static io.editstream.processor.image.Loads.rejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The loader against a real HTTP server on 127.0.0.1. Every socket the loader's HTTP client opens
 * comes from a guard that refuses (and records) any connect to an address but 127.0.0.1, so the
 * address checks are proven to act before a connection, and the guard sees the address actually
 * connected to: no test ever sends traffic to 10.0.0.1 or 169.254.169.254.
 */
class ImageLoaderHttpTest {

  private static final long HUGE = 200L * 1024 * 1024;

  private HttpServer server;
  private ExecutorService serverThreads;
  private ExecutorService executor;
  private String base;
  private final CountDownLatch release = new CountDownLatch(1);
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final AtomicLong hugeBytesWritten = new AtomicLong();
  private final CountDownLatch hugeHandlerDone = new CountDownLatch(1);
  private final List<InetSocketAddress> refusedTargets = new CopyOnWriteArrayList<>();
  private final List<InetSocketAddress> connections = new CopyOnWriteArrayList<>();
  private final List<String> requestPaths = new CopyOnWriteArrayList<>();
  private final List<String> hostHeaders = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    executor = Executors.newFixedThreadPool(2);
    base = "http://127.0.0.1:" + server.getAddress().getPort();

    byte[] chelsea = TestImages.resource("chelsea.png");
    handle("/chelsea.png", ex -> send(ex, 200, chelsea));
    handle("/redirect-to-image", ex -> redirect(ex, "/chelsea.png"));
    handle("/redirect-chain", ex -> redirect(ex, "/redirect-to-image"));
    handle("/loop", ex -> redirect(ex, "/loop"));
    handle("/redirect-to-private", ex -> redirect(ex, "http://10.0.0.1/internal.png"));
    handle(
        "/redirect-to-metadata",
        ex -> redirect(ex, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"));
    handle("/redirect-to-elsewhere", ex -> redirect(ex, "http://images.example.org/a.png"));
    handle("/redirect-to-file", ex -> redirect(ex, "file:///etc/passwd"));
    handle("/redirect-without-location", ex -> send(ex, 302, new byte[0]));
    handle("/html", ex -> send(ex, 200, "<html>hi</html>".getBytes()));
    handle("/missing", ex -> send(ex, 404, "no".getBytes()));
    handle("/unavailable", ex -> send(ex, 503, "later".getBytes()));
    handle("/never", ex -> awaitRelease());
    handle(
        "/slow-body",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().write(chelsea, 0, 100);
          ex.getResponseBody().flush();
          awaitRelease();
        });
    handle("/huge", ex -> streamHuge(ex, 0));
    handle("/huge-declared", ex -> streamHuge(ex, HUGE));
    server.start();
  }

  @AfterEach
  void stopServer() {
    release.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
    executor.shutdownNow();
  }

  // ---- server side ----

  private void handle(String path, HttpHandler handler) {
    server.createContext(
        path,
        ex -> {
          hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
          requestPaths.add(ex.getRequestURI().getPath());
          hostHeaders.add(ex.getRequestHeaders().getFirst("Host"));
          try {
            handler.handle(ex);
          } finally {
            ex.close();
          }
        });
  }

  private int hits(String path) {
    return hits.getOrDefault(path, new AtomicInteger()).get();
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().add("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  private void awaitRelease() {
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes up to 200 MB generated on the fly; stops when the client hangs up. */
  private void streamHuge(HttpExchange ex, long declaredLength) {
    byte[] chunk = new byte[64 * 1024];
    System.arraycopy(TestImages.pngHeader(100, 100), 0, chunk, 0, 50);
    try {
      ex.getResponseHeaders().add("Content-Type", "image/png");
      ex.sendResponseHeaders(200, declaredLength);
      OutputStream out = ex.getResponseBody();
      for (long written = 0; written < HUGE; written += chunk.length) {
        out.write(chunk);
        hugeBytesWritten.addAndGet(chunk.length);
      }
    } catch (IOException e) {
      // the client hung up: exactly what we want
    } finally {
      hugeHandlerDone.countDown();
    }
  }

  // ---- client side ----

  private ImageLoader loader(FetchPolicy policy, HostResolver resolver) {
    return new ImageLoader(
        ImageLimits.defaults(), policy, executor, resolver, new GuardedSockets());
  }

  /** Sockets that connect to 127.0.0.1 only, recording every address a connect goes to. */
  private final class GuardedSockets extends SocketFactory {
    @Override
    public Socket createSocket() {
      return new Socket() {
        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
          InetSocketAddress target = (InetSocketAddress) endpoint;
          if (!"127.0.0.1".equals(target.getAddress().getHostAddress())) {
            refusedTargets.add(target);
            throw new ConnectException("the test guard refused a connect to " + target);
          }
          connections.add(target);
          super.connect(endpoint, timeout);
        }
      };
    }

    @Override
    public Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException("unconnected sockets only");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException("unconnected sockets only");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
      throw new UnsupportedOperationException("unconnected sockets only");
    }

    @Override
    public Socket createSocket(
        InetAddress address, int port, InetAddress localAddress, int localPort) {
      throw new UnsupportedOperationException("unconnected sockets only");
    }
  }

  /** 127.0.0.1 reachable (and only it), any host name allowed so the address checks decide. */
  private FetchPolicy testPolicy() {
    return FetchPolicy.defaults()
        .withAllowedHosts(Set.of("*"))
        .withAllowedAddressRanges(List.of("127.0.0.1/32"))
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));
  }

  private ImageLoader loader() {
    return loader(testPolicy(), noDns());
  }

  private static HostResolver noDns() {
    return host -> {
      throw new UnknownHostException(host);
    };
  }

  private static InputImage byUri(String uri) {
    return InputImage.newBuilder().setMimeType("image/png").setUri(uri).build();
  }

  @AfterEach
  void noForbiddenTraffic() {
    assertThat(refusedTargets).as("requests to forbidden targets").isEmpty();
  }

  @Test
  void shouldDownloadAnImage() {
    LoadedImage image = loaded(loader().load(byUri(base + "/chelsea.png"), 0));
    assertThat(image.type()).isEqualTo(ImageType.PNG);
    assertThat(image.width()).isEqualTo(451);
    assertThat(image.height()).isEqualTo(300);
  }

  @Test
  void shouldFollowRedirectsByHand() {
    LoadedImage image = loaded(loader().load(byUri(base + "/redirect-chain"), 0));
    assertThat(image.width()).isEqualTo(451);
    assertThat(requestPaths)
        .containsExactly("/redirect-chain", "/redirect-to-image", "/chelsea.png");
  }

  @Test
  void shouldStopAfterTooManyRedirects() {
    ImageRejectedException e = rejected(loader().load(byUri(base + "/loop"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).endsWith("more than 3 redirects");
    assertThat(hits("/loop")).isEqualTo(4);
  }

  @Test
  void shouldRejectARedirectWithoutLocation() {
    ImageRejectedException e =
        rejected(loader().load(byUri(base + "/redirect-without-location"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.getMessage()).contains("without a Location header");
  }

  @Test
  void shouldRejectLoopbackByDefaultWithoutConnecting() {
    ImageLoader strict =
        loader(
            FetchPolicy.defaults().withAllowedHosts(Set.of("*")),
            host -> new InetAddress[] {InetAddress.getLoopbackAddress()});
    ImageRejectedException e = rejected(strict.load(byUri(base + "/chelsea.png"), 6));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).isEqualTo("images[6].uri: address 127.0.0.1 is loopback");
    assertThat(rejected(strict.load(byUri("http://localhost:1/a.png"), 0)).getMessage())
        .isEqualTo("images[0].uri: address 127.0.0.1 of host 'localhost' is loopback");
    assertThat(hits("/chelsea.png")).isZero();
    assertThat(connections).isEmpty();
  }

  @Test
  void shouldRejectPrivateAndMetadataAddressesWithoutConnecting() {
    ImageLoader loader = loader();
    ImageRejectedException privateIp = rejected(loader.load(byUri("http://10.0.0.1/a.png"), 0));
    assertThat(privateIp.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(privateIp.getMessage())
        .isEqualTo("images[0].uri: address 10.0.0.1 is private (10.0.0.0/8)");

    ImageRejectedException metadata =
        rejected(loader.load(byUri("http://169.254.169.254/latest/meta-data/"), 1));
    assertThat(metadata.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(metadata.getMessage())
        .startsWith("images[1].uri: address 169.254.169.254 is link-local");

    ImageRejectedException mapped =
        rejected(loader.load(byUri("http://[::ffff:169.254.169.254]/latest/"), 2));
    assertThat(mapped.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);

    assertThat(rejected(loader.load(byUri("http://[fd00::1]/a.png"), 0)).code())
        .isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(connections).isEmpty();
  }

  @Test
  void shouldRejectHostNamesThatResolveToPrivateAddresses() {
    HostResolver dns =
        host ->
            switch (host) {
              case "evil.example" ->
                  new InetAddress[] {
                    InetAddress.getByAddress(host, new byte[] {93, (byte) 184, (byte) 216, 34}),
                    InetAddress.getByAddress(host, new byte[] {10, 0, 0, 1})
                  };
              default -> throw new UnknownHostException(host);
            };
    ImageLoader loader = loader(testPolicy(), dns);
    ImageRejectedException e = rejected(loader.load(byUri("http://evil.example/a.png"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage())
        .isEqualTo(
            "images[0].uri: address 10.0.0.1 of host 'evil.example' is private (10.0.0.0/8)");

    ImageRejectedException unknown =
        rejected(loader.load(byUri("http://nowhere.example/a.png"), 0));
    assertThat(unknown.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(unknown.retryable()).isTrue();
    assertThat(connections).isEmpty();
  }

  @Test
  void shouldConnectOnlyToTheAddressItCheckedEvenIfDnsAnswersDifferentlyLater() {
    // A rebinding DNS server: a checkable address first, a forbidden one on every later lookup.
    Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
    HostResolver rebinding =
        host -> {
          int n = lookups.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
          byte[] later =
              host.equals("a.test")
                  ? new byte[] {10, 0, 0, 1}
                  : new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254};
          return new InetAddress[] {
            InetAddress.getByAddress(host, n == 1 ? new byte[] {127, 0, 0, 1} : later)
          };
        };
    int port = server.getAddress().getPort();
    handle("/to-b", ex -> redirect(ex, "http://b.test:" + port + "/chelsea.png"));

    LoadedImage image =
        loaded(loader(testPolicy(), rebinding).load(byUri("http://a.test:" + port + "/to-b"), 0));

    assertThat(image.width()).isEqualTo(451);
    // One lookup per hop (each to a new host), and the connections went where they said.
    assertThat(lookups).containsOnlyKeys("a.test", "b.test");
    assertThat(lookups.values()).extracting(AtomicInteger::get).containsOnly(1);
    assertThat(connections)
        .hasSize(2)
        .allMatch(a -> a.getAddress().getHostAddress().equals("127.0.0.1") && a.getPort() == port);
    assertThat(requestPaths).containsExactly("/to-b", "/chelsea.png");
    // The host name is kept (Host header here; SNI and certificate checks for https).
    assertThat(hostHeaders).containsExactly("a.test:" + port, "b.test:" + port);
  }

  @Test
  void shouldRefuseALookupWithAForbiddenAnswerWithoutConnecting() {
    AtomicInteger lookups = new AtomicInteger();
    HostResolver metadata =
        host -> {
          lookups.incrementAndGet();
          return new InetAddress[] {
            InetAddress.getByAddress(
                host, new byte[] {(byte) 169, (byte) 254, (byte) 169, (byte) 254})
          };
        };
    int port = server.getAddress().getPort();
    ImageRejectedException e =
        rejected(
            loader(testPolicy(), metadata)
                .load(byUri("http://c.test:" + port + "/chelsea.png"), 2));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage())
        .startsWith("images[2].uri: address 169.254.169.254 of host 'c.test' is link-local");
    assertThat(lookups).hasValue(1);
    assertThat(connections).isEmpty();
    assertThat(hits("/chelsea.png")).isZero();
  }

  @Test
  void shouldRecheckEveryRedirectTarget() {
    ImageLoader loader = loader();
    ImageRejectedException toPrivate =
        rejected(loader.load(byUri(base + "/redirect-to-private"), 0));
    assertThat(toPrivate.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(toPrivate.getMessage())
        .isEqualTo(
            "images[0].uri: redirect 1 to http://10.0.0.1/internal.png: address 10.0.0.1 is"
                + " private (10.0.0.0/8)");

    ImageRejectedException toMetadata =
        rejected(loader.load(byUri(base + "/redirect-to-metadata"), 0));
    assertThat(toMetadata.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(toMetadata.getMessage()).contains("address 169.254.169.254 is link-local");

    ImageRejectedException toFile = rejected(loader.load(byUri(base + "/redirect-to-file"), 0));
    assertThat(toFile.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(toFile.getMessage()).contains("scheme 'file' is not allowed");

    assertThat(connections).allMatch(a -> a.getAddress().getHostAddress().equals("127.0.0.1"));
    assertThat(hits("/redirect-to-private")).isEqualTo(1);
  }

  @Test
  void shouldRejectRedirectsToHostsOutsideTheAllowList() {
    ImageLoader loader = loader(testPolicy().withAllowedHosts(Set.of("127.0.0.1")), noDns());
    ImageRejectedException e = rejected(loader.load(byUri(base + "/redirect-to-elsewhere"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage())
        .isEqualTo(
            "images[0].uri: redirect 1 to http://images.example.org/a.png: host"
                + " 'images.example.org' is not in the allowed hosts");
  }

  @Test
  void shouldRejectHttpWhenNoHostIsAllowed() {
    ImageLoader loader = loader(FetchPolicy.defaults(), noDns());
    ImageRejectedException e = rejected(loader.load(byUri(base + "/chelsea.png"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).contains("http(s) URIs are disabled");
    assertThat(hits("/chelsea.png")).isZero();
  }

  @Test
  void shouldRejectCredentialsInUrisWithoutEchoingThem() {
    String withUser =
        "http://admin:hunter2@127.0.0.1:" + server.getAddress().getPort() + "/chelsea.png";
    ImageRejectedException e = rejected(loader().load(byUri(withUser), 0));
    assertThat(e.code()).isEqualTo(FailureCode.URI_NOT_ALLOWED);
    assertThat(e.getMessage()).doesNotContain("hunter2");
  }

  @Test
  void shouldGiveUpOnAServerThatNeverAnswers() {
    ImageLoader impatient =
        loader(testPolicy().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300)), noDns());
    ImageRejectedException e = rejected(impatient.load(byUri(base + "/never?sig=s3cr3t"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage())
        .startsWith("images[0].uri: http://127.0.0.1:")
        .contains("/never?… gave no complete answer within PT0.3S")
        .doesNotContain("s3cr3t");
  }

  @Test
  void shouldGiveUpOnABodyThatNeverEnds() {
    ImageLoader impatient =
        loader(testPolicy().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)), noDns());
    ImageRejectedException e = rejected(impatient.load(byUri(base + "/slow-body"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isTrue();
  }

  @Test
  void shouldStopAHugeDownloadAtTheCap() throws InterruptedException {
    ImageRejectedException e = rejected(loader().load(byUri(base + "/huge"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(e.getMessage())
        .isEqualTo("images[0].uri: body is larger than 20971520 bytes allowed; download stopped");
    // The connection was closed: the server could not push the whole 200 MB.
    await().atMost(Duration.ofSeconds(10)).until(() -> hugeHandlerDone.getCount() == 0);
    assertThat(hugeBytesWritten.get()).isLessThan(64L * 1024 * 1024);
  }

  @Test
  void shouldRejectADeclaredHugeBodyBeforeReadingIt() {
    ImageRejectedException e = rejected(loader().load(byUri(base + "/huge-declared"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_TOO_LARGE);
    assertThat(e.getMessage())
        .isEqualTo(
            "images[0].uri: server declares 209715200 bytes (Content-Length), at most 20971520"
                + " allowed");
    await().atMost(Duration.ofSeconds(10)).until(() -> hugeHandlerDone.getCount() == 0);
    assertThat(hugeBytesWritten.get()).isLessThan(64L * 1024 * 1024);
  }

  @Test
  void shouldRejectWrongContent() {
    ImageRejectedException e = rejected(loader().load(byUri(base + "/html"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.UNSUPPORTED_IMAGE_TYPE);
    assertThat(e.field()).isEqualTo("images[0].uri");
  }

  @Test
  void shouldMapHttpErrors() {
    ImageRejectedException missing =
        rejected(loader().load(byUri(base + "/missing?token=s3cr3t"), 0));
    assertThat(missing.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(missing.retryable()).isFalse();
    assertThat(missing.getMessage())
        .endsWith("/missing?… answered HTTP 404")
        .doesNotContain("s3cr3t");

    ImageRejectedException unavailable = rejected(loader().load(byUri(base + "/unavailable"), 0));
    assertThat(unavailable.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(unavailable.retryable()).isTrue();
  }

  @Test
  void shouldReportARefusedConnectionAsRetryable() throws IOException {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    ImageRejectedException e =
        rejected(loader().load(byUri("http://127.0.0.1:" + closedPort + "/a.png"), 0));
    assertThat(e.code()).isEqualTo(FailureCode.IMAGE_FETCH_FAILED);
    assertThat(e.retryable()).isTrue();
  }
}
