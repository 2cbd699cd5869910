package io.editstream.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real schema registry with Confluent's REST API for tests, started at most once per JVM and
 * stopped by a JVM shutdown hook.
 *
 * <p>Chosen in this order: the registry at {@code SCHEMA_REGISTRY_URL} (with {@code
 * SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO} as {@code user:password} if set); a Confluent Schema
 * Registry container when the {@link KafkaBroker} is a Testcontainers container; otherwise Apicurio
 * Registry 2.6.13.Final as a child process on 127.0.0.1 (its Confluent-compatible API). Apicurio's
 * global compatibility is set to {@code BACKWARD} at start, Confluent's default, so both behave
 * alike. Subjects are shared by every test in the JVM: use unique subject (topic) names.
 */
public final class SchemaRegistry {
  private static final Logger log = LoggerFactory.getLogger(SchemaRegistry.class);

  static final String URL_ENV = "SCHEMA_REGISTRY_URL";
  static final String USER_INFO_ENV = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";
  static final String IMAGE_SETTING = "EDITSTREAM_SCHEMA_REGISTRY_IMAGE";
  static final String DEFAULT_IMAGE = "confluentinc/cp-schema-registry:7.9.0";
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Set<String> LEVELS =
      Set.of(
          "NONE",
          "BACKWARD",
          "BACKWARD_TRANSITIVE",
          "FORWARD",
          "FORWARD_TRANSITIVE",
          "FULL",
          "FULL_TRANSITIVE");
  private static final Pattern LEVEL_FIELD =
      Pattern.compile("\"compatibility(?:Level)?\"\\s*:\\s*\"([A-Z_]+)\"");

  private static SchemaRegistry shared;
  private static RuntimeException startFailure;

  private final String url;
  private final String description;
  private final String userInfo;
  private final HttpClient http;
  private final AutoCloseable resource;

  private SchemaRegistry(
      String url, String description, String userInfo, HttpClient http, AutoCloseable resource) {
    this.url = url;
    this.description = description;
    this.userInfo = userInfo;
    this.http = http;
    this.resource = resource;
  }

  /**
   * The JVM's registry, started on first use. If starting fails, this and every later call throw
   * {@link IllegalStateException} with the cause, without trying again.
   */
  public static synchronized SchemaRegistry shared() {
    if (shared != null) {
      return shared;
    }
    if (startFailure != null) {
      throw new IllegalStateException(
          "The shared schema registry failed to start earlier in this JVM: "
              + startFailure.getMessage(),
          startFailure);
    }
    try {
      shared = start();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      startFailure =
          new IllegalStateException(
              "Could not start a schema registry for tests: " + e.getMessage(), e);
      throw startFailure;
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(shared::close, "editstream-testkit-registry-shutdown"));
    return shared;
  }

  private static SchemaRegistry start() throws Exception {
    long begin = System.nanoTime();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    SchemaRegistry registry;
    String external = Settings.get(URL_ENV);
    Optional<KafkaContainer> kafkaContainer =
        external == null && Docker.available()
            ? KafkaBroker.shared().container()
            : Optional.empty();
    if (external != null) {
      registry =
          new SchemaRegistry(
              stripTrailingSlash(external),
              "external (" + URL_ENV + ")",
              Settings.get(USER_INFO_ENV),
              http,
              () -> {});
    } else if (kafkaContainer.isPresent()) {
      registry = startContainer(http);
    } else {
      ApicurioProcess apicurio = ApicurioProcess.start(http);
      registry =
          new SchemaRegistry(
              apicurio.ccompatUrl(),
              "Apicurio Registry 2.6.13.Final process (log " + apicurio.logFile() + ")",
              null,
              http,
              apicurio);
      try {
        // Apicurio defaults to NONE; Confluent, which our serde mirrors, to BACKWARD.
        registry.setGlobalCompatibility("BACKWARD");
      } catch (RuntimeException e) {
        apicurio.close();
        throw e;
      }
    }
    log.info(
        "Schema registry for tests: {} at {} (ready in {} ms)",
        registry.description,
        registry.url,
        (System.nanoTime() - begin) / 1_000_000);
    return registry;
  }

  private static SchemaRegistry startContainer(HttpClient http) {
    String image = Objects.requireNonNullElse(Settings.get(IMAGE_SETTING), DEFAULT_IMAGE);
    GenericContainer<?> container =
        new GenericContainer<>(DockerImageName.parse(image))
            .withNetwork(org.testcontainers.containers.Network.SHARED)
            .withExposedPorts(8081)
            .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
            .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .withEnv(
                "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS",
                "PLAINTEXT://" + KafkaBroker.NETWORK_BOOTSTRAP)
            .waitingFor(Wait.forHttp("/subjects").forStatusCode(200));
    container.start();
    return new SchemaRegistry(
        "http://" + container.getHost() + ":" + container.getMappedPort(8081),
        "Testcontainers " + image,
        null,
        http,
        container::stop);
  }

  /**
   * Base URL of the Confluent-compatible API, without a trailing slash, e.g. {@code
   * http://127.0.0.1:PORT/apis/ccompat/v7}; append {@code /subjects/...} or {@code
   * /schemas/ids/...}.
   */
  public String url() {
    return url;
  }

  /** Which registry this is; never holds secrets. */
  public String description() {
    return description;
  }

  /**
   * Settings for a Confluent-style serde: {@code schema.registry.url}, plus basic-auth settings
   * when configured. Returns a new mutable map on each call.
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put("schema.registry.url", url);
    if (userInfo != null) {
      config.put("basic.auth.credentials.source", "USER_INFO");
      config.put("basic.auth.user.info", userInfo);
    }
    return config;
  }

  /**
   * Sets the registry-wide compatibility level ({@code PUT /config}), e.g. {@code "BACKWARD"} or
   * {@code "NONE"}. Affects every test in this JVM; restore the old level when done.
   *
   * @throws IllegalArgumentException if the level is not one of Confluent's seven levels
   * @throws IllegalStateException if the registry refuses
   */
  public void setGlobalCompatibility(String level) {
    if (level == null || !LEVELS.contains(level)) {
      throw new IllegalArgumentException(
          "compatibility level must be one of " + LEVELS + ", was " + level);
    }
    send(
        request("/config")
            .PUT(
                HttpRequest.BodyPublishers.ofString(
                    "{\"compatibility\":\"" + level + "\"}", StandardCharsets.UTF_8)),
        "set global compatibility to " + level);
  }

  /** The registry-wide compatibility level ({@code GET /config}), e.g. {@code "BACKWARD"}. */
  public String globalCompatibility() {
    String body = send(request("/config").GET(), "read global compatibility");
    Matcher matcher = LEVEL_FIELD.matcher(body);
    if (!matcher.find()) {
      throw new IllegalStateException("No compatibility level in the registry's answer: " + body);
    }
    return matcher.group(1);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + path))
            .timeout(Duration.ofSeconds(10))
            .header("Accept", CONTENT_TYPE + ", application/json")
            .header("Content-Type", CONTENT_TYPE);
    if (userInfo != null) {
      request.header(
          "Authorization",
          "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
    }
    return request;
  }

  private String send(HttpRequest.Builder request, String action) {
    try {
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(
            "Could not "
                + action
                + " at "
                + url
                + ": HTTP "
                + response.statusCode()
                + " "
                + response.body());
      }
      return response.body();
    } catch (IOException e) {
      throw new IllegalStateException("Could not " + action + " at " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while trying to " + action, e);
    }
  }

  private void close() {
    long begin = System.nanoTime();
    try {
      resource.close();
      log.info(
          "Stopped schema registry ({}) in {} ms",
          description,
          (System.nanoTime() - begin) / 1_000_000);
    } catch (Exception e) {
      log.warn("Failed to stop schema registry ({})", description, e);
    }
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
