package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealInfra.class)
class SchemaRegistryTest {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

  private static final String V1 =
      "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"io.editstream.test\","
          + "\"fields\":[{\"name\":\"jobId\",\"type\":\"string\"}]}";

  /** Adds a field with a default: a BACKWARD compatible change. */
  private static final String V2_COMPATIBLE =
      "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"io.editstream.test\","
          + "\"fields\":[{\"name\":\"jobId\",\"type\":\"string\"},"
          + "{\"name\":\"attempts\",\"type\":\"int\",\"default\":0}]}";

  /** Adds a field without a default: new readers cannot read old data. */
  private static final String V2_INCOMPATIBLE =
      "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"io.editstream.test\","
          + "\"fields\":[{\"name\":\"jobId\",\"type\":\"string\"},"
          + "{\"name\":\"attempts\",\"type\":\"int\"}]}";

  private final HttpClient http = HttpClient.newHttpClient();
  private final SchemaRegistry registry;

  SchemaRegistryTest(SchemaRegistry registry) {
    this.registry = registry;
  }

  @Test
  void registeredSchemaIsFetchedById() throws Exception {
    String subject = TestTopics.unique("probe") + "-value";

    HttpResponse<String> registered = register(subject, V1);

    assertThat(registered.statusCode()).isEqualTo(200);
    int id = id(registered.body());
    HttpResponse<String> fetched = get("/schemas/ids/" + id);
    assertThat(fetched.statusCode()).isEqualTo(200);
    assertThat(fetched.body()).contains("Probe").contains("jobId");
    assertThat(get("/subjects/" + subject + "/versions/latest").body()).contains("\"id\":" + id);
  }

  @Test
  void sameSchemaUnderAnotherSubjectKeepsItsId() throws Exception {
    int first = id(register(TestTopics.unique("a") + "-value", V1).body());
    int second = id(register(TestTopics.unique("b") + "-value", V1).body());
    assertThat(second).isEqualTo(first);
  }

  @Test
  void unknownIdIsNotFound() throws Exception {
    assertThat(get("/schemas/ids/" + Integer.MAX_VALUE).statusCode()).isEqualTo(404);
  }

  @Test
  void backwardCompatibilityIsEnforcedLikeConfluentsDefault() throws Exception {
    assumeFalse(registry.description().startsWith("external"), "external registry: its own rules");
    assertThat(registry.globalCompatibility()).isEqualTo("BACKWARD");
    String subject = TestTopics.unique("evolving") + "-value";
    assertThat(register(subject, V1).statusCode()).isEqualTo(200);

    assertThat(register(subject, V2_INCOMPATIBLE).statusCode()).isEqualTo(409);
    assertThat(register(subject, V2_COMPATIBLE).statusCode()).isEqualTo(200);
  }

  @Test
  void globalCompatibilityCanBeChangedAndRestored() {
    String before = registry.globalCompatibility();
    try {
      registry.setGlobalCompatibility("FULL");
      assertThat(registry.globalCompatibility()).isEqualTo("FULL");
    } finally {
      registry.setGlobalCompatibility(before);
    }
    assertThat(registry.globalCompatibility()).isEqualTo(before);
    assertThatThrownBy(() -> registry.setGlobalCompatibility("SOMETIMES"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SOMETIMES");
  }

  @Test
  void clientConfigNamesTheRegistry() {
    assertThat(registry.clientConfig()).containsEntry("schema.registry.url", registry.url());
    assertThat(registry.url()).doesNotEndWith("/");
  }

  private HttpResponse<String> register(String subject, String schema)
      throws IOException, InterruptedException {
    String body = "{\"schema\":\"" + schema.replace("\"", "\\\"") + "\"}";
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/" + subject + "/versions"))
            .header("Content-Type", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(registry.url() + path))
            .header("Accept", CONTENT_TYPE)
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static int id(String body) {
    Matcher matcher = ID.matcher(body);
    assertThat(matcher.find()).as("id in %s", body).isTrue();
    return Integer.parseInt(matcher.group(1));
  }
}
