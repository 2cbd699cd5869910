package io.editstream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.editstream.schema.EditJob;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's HTTP behaviour against a tiny local HTTP server that records requests and answers
 * what each test sets. The real registry is exercised by the integration tests.
 */
class RestSchemaRegistryClientTest {

  private static final String SECRET = "s3cr3t-Pa55";
  private static final Schema SCHEMA = EditJob.getClassSchema();

  private record Seen(String method, String path, Map<String, List<String>> headers, String body) {
    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> String.join(",", e.getValue()))
          .findFirst()
          .orElse(null);
    }
  }

  private HttpServer server;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile String answer = "{\"id\":7}";
  private final CountDownLatch release = new CountDownLatch(1);

  /** Answers for the next requests, in order; then {@link #status} and {@link #answer}. */
  private record Scripted(int status, String answer) {}

  private final Queue<Scripted> script = new ConcurrentLinkedQueue<>();
  private volatile boolean hang;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stopServer() {
    release.countDown();
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    seen.add(
        new Seen(
            exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(),
            Map.copyOf(exchange.getRequestHeaders()),
            body));
    if (hang) {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Scripted next = script.poll();
    byte[] bytes = (next == null ? answer : next.answer()).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(next == null ? status : next.status(), bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private RestSchemaRegistryClient client(Map<String, String> extra) {
    var configs = new java.util.HashMap<String, Object>(extra);
    configs.putIfAbsent(RegistryConfig.SCHEMA_REGISTRY_URL, url());
    return new RestSchemaRegistryClient(RegistryConfig.fromConfigs(configs));
  }

  @Test
  void shouldRegisterWithConfluentMediaTypesAndBody() throws IOException {
    int id = client(Map.of()).register("edit-jobs-value", SCHEMA);

    assertThat(id).isEqualTo(7);
    Seen request = seen.get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/subjects/edit-jobs-value/versions");
    assertThat(request.header("Content-Type")).isEqualTo("application/vnd.schemaregistry.v1+json");
    assertThat(request.header("Accept"))
        .contains("application/vnd.schemaregistry.v1+json", "application/json");
    assertThat(request.body()).contains("\"schemaType\":\"AVRO\"");
    assertThat(
            new Schema.Parser()
                .parse(
                    new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(request.body())
                        .get("schema")
                        .asText()))
        .isEqualTo(SCHEMA);
    assertThat(request.header("Authorization")).isNull();
  }

  private static final String ALREADY_EXISTS =
      "{\"error_code\":409,\"message\":\"An artifact with ID 'edit-jobs-value' in group 'null'"
          + " already exists.\"}";

  @Test
  void shouldTakeTheIdOfASchemaThatAnotherClientRegisteredAtTheSameTime() {
    script.add(new Scripted(409, ALREADY_EXISTS));
    script.add(new Scripted(200, "{\"subject\":\"edit-jobs-value\",\"id\":5,\"version\":1}"));

    assertThat(client(Map.of()).register("edit-jobs-value", SCHEMA)).isEqualTo(5);
    assertThat(seen)
        .extracting(Seen::path)
        .containsExactly("/subjects/edit-jobs-value/versions", "/subjects/edit-jobs-value");
  }

  @Test
  void shouldKeepTheRefusalWhenTheSchemaIsNotRegisteredUnderTheSubject() {
    script.add(new Scripted(409, "{\"error_code\":409,\"message\":\"incompatible\"}"));
    script.add(new Scripted(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}"));

    assertThatThrownBy(() -> client(Map.of()).register("edit-jobs-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(SchemaRegistryException.Kind.INCOMPATIBLE);
              assertThat(e.getSuppressed()).hasSize(1);
            });
  }

  @Test
  void shouldReportAnUnavailableLookupAfterA409AsUnavailableNotIncompatible() {
    script.add(new Scripted(409, ALREADY_EXISTS));
    script.add(new Scripted(503, "{\"error_code\":50301,\"message\":\"busy\"}"));

    assertThatThrownBy(() -> client(Map.of()).register("edit-jobs-value", SCHEMA))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(SchemaRegistryException.Kind.UNAVAILABLE);
              assertThat(e.getSuppressed()[0].getMessage()).contains("already exists");
            });
  }

  @Test
  void shouldCacheIdsAndSchemasForever() {
    RestSchemaRegistryClient client = client(Map.of());
    client.register("edit-jobs-value", SCHEMA);
    client.register("edit-jobs-value", SCHEMA);
    client.lookup("edit-jobs-value", SCHEMA);

    // The registered schema is known by id without asking.
    assertThat(client.schemaById(7)).isSameAs(SCHEMA);
    assertThat(seen).hasSize(1);

    answer = "{\"schema\":" + quoted(SCHEMA.toString()) + "}";
    assertThat(client.schemaById(8)).isEqualTo(SCHEMA);
    assertThat(client.schemaById(8)).isEqualTo(SCHEMA);
    assertThat(seen).hasSize(2);
    assertThat(seen.get(1).method()).isEqualTo("GET");
    assertThat(seen.get(1).path()).isEqualTo("/schemas/ids/8");
  }

  @Test
  void shouldLookUpAndFetchLatestOnConfluentPaths() {
    answer =
        "{\"subject\":\"a b\",\"id\":3,\"version\":2,\"schema\":" + quoted(SCHEMA.toString()) + "}";
    RestSchemaRegistryClient client = client(Map.of());

    assertThat(client.lookup("a b", SCHEMA)).isEqualTo(3);
    RegisteredSchema latest = client.latest("a b");

    assertThat(latest).isEqualTo(new RegisteredSchema("a b", 3, 2, SCHEMA));
    assertThat(seen.get(0).path()).isEqualTo("/subjects/a%20b");
    assertThat(seen.get(0).method()).isEqualTo("POST");
    assertThat(seen.get(1).path()).isEqualTo("/subjects/a%20b/versions/latest");
    assertThat(seen.get(1).method()).isEqualTo("GET");
  }

  @Test
  void shouldKeepTheBasePathOfApicuriosCompatibleApi() {
    RestSchemaRegistryClient client =
        client(Map.of(RegistryConfig.SCHEMA_REGISTRY_URL, url() + "/apis/ccompat/v7/"));

    client.register("s", SCHEMA);

    assertThat(seen.get(0).path()).isEqualTo("/apis/ccompat/v7/subjects/s/versions");
  }

  @Test
  void shouldSendBasicAuthFromUserInfo() {
    client(
            Map.of(
                RegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
                "USER_INFO",
                RegistryConfig.BASIC_AUTH_USER_INFO,
                "KEY42:" + SECRET))
        .register("s", SCHEMA);

    assertThat(seen.get(0).header("Authorization")).isEqualTo("Basic " + base64("KEY42:" + SECRET));
  }

  @Test
  void shouldSendBasicAuthFromTheUrl() {
    String withUserInfo = url().replace("http://", "http://KEY42:" + SECRET + "@");
    RegistryConfig config =
        RegistryConfig.fromConfigs(
            Map.of(
                RegistryConfig.SCHEMA_REGISTRY_URL,
                withUserInfo,
                RegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
                "URL"));

    new RestSchemaRegistryClient(config).register("s", SCHEMA);

    assertThat(seen.get(0).header("Authorization")).isEqualTo("Basic " + base64("KEY42:" + SECRET));
    assertThat(config.urls()).extracting(Object::toString).containsExactly(url());
    assertThat(config.toString()).doesNotContain(SECRET).doesNotContain(base64("KEY42:" + SECRET));
  }

  @Test
  void shouldSendBearerToken() {
    client(
            Map.of(
                RegistryConfig.BEARER_AUTH_CREDENTIALS_SOURCE,
                "STATIC_TOKEN",
                RegistryConfig.BEARER_AUTH_TOKEN,
                SECRET))
        .register("s", SCHEMA);

    assertThat(seen.get(0).header("Authorization")).isEqualTo("Bearer " + SECRET);
  }

  @Test
  void shouldClassifyRegistryErrorsWithoutLeakingCredentials() {
    Map<String, String> auth =
        Map.of(
            RegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
            "USER_INFO",
            RegistryConfig.BASIC_AUTH_USER_INFO,
            "KEY42:" + SECRET);
    record Case(int status, String body, SchemaRegistryException.Kind kind, int code) {}
    List<Case> cases =
        List.of(
            new Case(
                404,
                "{\"error_code\":40401,\"message\":\"Subject not found\"}",
                SchemaRegistryException.Kind.SUBJECT_NOT_FOUND,
                40401),
            new Case(
                404,
                "{\"error_code\":40403,\"message\":\"Schema not found\"}",
                SchemaRegistryException.Kind.SCHEMA_NOT_FOUND,
                40403),
            new Case(
                409,
                "{\"error_code\":409,\"message\":\"Incompatible\"}",
                SchemaRegistryException.Kind.INCOMPATIBLE,
                409),
            new Case(
                409,
                "{\"error_code\":40901,\"message\":\"Incompatible\"}",
                SchemaRegistryException.Kind.INCOMPATIBLE,
                40901),
            new Case(
                422,
                "{\"error_code\":42201,\"message\":\"Invalid schema\"}",
                SchemaRegistryException.Kind.INVALID_SCHEMA,
                42201),
            new Case(
                401,
                "{\"error_code\":401,\"message\":\"Unauthorized\"}",
                SchemaRegistryException.Kind.UNAUTHORIZED,
                401),
            new Case(503, "<html>busy</html>", SchemaRegistryException.Kind.UNAVAILABLE, -1),
            new Case(404, "<html>no such page</html>", SchemaRegistryException.Kind.OTHER, -1));
    for (Case c : cases) {
      status = c.status();
      answer = c.body();
      assertThatThrownBy(() -> client(auth).register("edit-jobs-value", SCHEMA))
          .as("HTTP %d %s", c.status(), c.body())
          .isInstanceOfSatisfying(
              SchemaRegistryException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(c.kind());
                assertThat(e.httpStatus()).isEqualTo(c.status());
                assertThat(e.errorCode()).isEqualTo(c.code());
                assertThat(e.getMessage())
                    .contains("edit-jobs-value", "HTTP " + c.status())
                    .doesNotContain(SECRET)
                    .doesNotContain(base64("KEY42:" + SECRET));
              });
    }
  }

  @Test
  void shouldReportAnUnreachableRegistryAsUnavailable() throws IOException {
    String closed = "http://KEY42:" + SECRET + "@127.0.0.1:" + closedPort();
    RestSchemaRegistryClient client =
        new RestSchemaRegistryClient(
            RegistryConfig.fromConfigs(Map.of(RegistryConfig.SCHEMA_REGISTRY_URL, closed)));

    assertThatThrownBy(() -> client.schemaById(5))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(SchemaRegistryException.Kind.UNAVAILABLE);
              assertThat(e.httpStatus()).isEqualTo(-1);
              assertThat(e.getMessage()).contains("schema id 5").doesNotContain(SECRET);
            });
  }

  @Test
  void shouldFailOverToTheNextUrlWhenOneIsUnreachable() throws IOException {
    String urls = "http://127.0.0.1:" + closedPort() + ", " + url();

    int id =
        new RestSchemaRegistryClient(
                RegistryConfig.fromConfigs(Map.of(RegistryConfig.SCHEMA_REGISTRY_URL, urls)))
            .register("s", SCHEMA);

    assertThat(id).isEqualTo(7);
    assertThat(seen).hasSize(1);
  }

  @Test
  void shouldGiveUpAfterTheRequestTimeout() {
    hang = true;
    RestSchemaRegistryClient client = client(Map.of(RegistryConfig.HTTP_READ_TIMEOUT_MS, "200"));

    assertThatThrownBy(() -> client.schemaById(1))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(SchemaRegistryException.Kind.UNAVAILABLE);
              assertThat(e.getMessage()).contains("200 ms");
            });
  }

  @Test
  void shouldRejectNonAvroSchemasById() {
    answer = "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}";

    assertThatThrownBy(() -> client(Map.of()).schemaById(4))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("PROTOBUF");
  }

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String base64(String s) {
    return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String quoted(String s) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
