package io.editstream.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SchemaRegistryClient} over the Confluent REST API (also served by Apicurio at {@code
 * /apis/ccompat/v7}), on {@link HttpClient}.
 *
 * <p>When several URLs are configured they are tried in order, moving on only when one cannot be
 * reached (connection refused or connect timeout); an HTTP answer, even an error, ends the call.
 * Ids and schemas are cached forever in both directions.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

  private static final Logger log = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9,"
          + " application/json; q=0.5";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryConfig config;
  private final HttpClient http;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

  private record SubjectSchema(String subject, Schema schema) {}

  public RestSchemaRegistryClient(RegistryConfig config) {
    this(
        config,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout())
            .build());
  }

  /** With a caller-supplied {@link HttpClient} (proxy, TLS settings, executor). */
  public RestSchemaRegistryClient(RegistryConfig config, HttpClient http) {
    this.config = Objects.requireNonNull(config, "config");
    this.http = Objects.requireNonNull(http, "http");
  }

  public RegistryConfig config() {
    return config;
  }

  @Override
  public int register(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(requireSubject(subject), schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    JsonNode answer;
    try {
      answer =
          send(
              "register schema under subject '" + subject + "'",
              "POST",
              subjectPath(subject) + "/versions",
              body(schema));
    } catch (SchemaRegistryException refused) {
      return registeredMeanwhile(key, refused);
    }
    int id = requiredInt(answer, "id", "register under subject '" + subject + "'");
    remember(key, id);
    return id;
  }

  /**
   * A 409 to a registration is either an incompatible schema or, with Apicurio, a lost race: when
   * instances register the same schema under a new subject at once, all but the first are told
   * "artifact already exists" (error_code 409). If the schema is registered under the subject now,
   * that is its id; otherwise the refusal stands.
   */
  private int registeredMeanwhile(SubjectSchema key, SchemaRegistryException refused) {
    if (refused.kind() != SchemaRegistryException.Kind.INCOMPATIBLE) {
      throw refused;
    }
    try {
      int id = lookup(key.subject(), key.schema());
      log.debug(
          "Registration under subject '{}' was refused ({}), but the schema is registered there"
              + " (id {}): another client registered it at the same time",
          key.subject(),
          refused.getMessage(),
          id);
      return id;
    } catch (SchemaRegistryException lookupFailed) {
      if (lookupFailed.isNotFound()) {
        refused.addSuppressed(lookupFailed);
        throw refused; // not registered there: the refusal (an incompatible schema) stands
      }
      lookupFailed.addSuppressed(refused);
      throw lookupFailed; // the registry could not tell (unavailable, unauthorized): say so
    }
  }

  @Override
  public int lookup(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(requireSubject(subject), schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    JsonNode answer =
        send(
            "look up schema under subject '" + subject + "'",
            "POST",
            subjectPath(subject),
            body(schema));
    int id = requiredInt(answer, "id", "look up under subject '" + subject + "'");
    remember(key, id);
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    String operation = "fetch schema id " + id;
    JsonNode answer = send(operation, "GET", "/schemas/ids/" + id, null);
    Schema schema = parseSchema(answer, operation);
    Schema previous = schemasById.putIfAbsent(id, schema);
    return previous != null ? previous : schema;
  }

  @Override
  public RegisteredSchema latest(String subject) {
    String operation = "fetch latest version of subject '" + requireSubject(subject) + "'";
    JsonNode answer = send(operation, "GET", subjectPath(subject) + "/versions/latest", null);
    int id = requiredInt(answer, "id", operation);
    int version = requiredInt(answer, "version", operation);
    Schema schema = schemasById.computeIfAbsent(id, ignored -> parseSchema(answer, operation));
    return new RegisteredSchema(subject, id, version, schema);
  }

  private void remember(SubjectSchema key, int id) {
    idsBySubjectSchema.putIfAbsent(key, id);
    schemasById.putIfAbsent(id, key.schema());
  }

  private static String body(Schema schema) {
    ObjectNode node = JSON.createObjectNode();
    node.put("schemaType", "AVRO");
    node.put("schema", schema.toString());
    return node.toString();
  }

  private JsonNode send(String operation, String method, String path, String body) {
    List<URI> urls = config.urls();
    IOException lastFailure = null;
    for (URI base : urls) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(config.requestTimeout())
              .header("Accept", ACCEPT);
      config.authorization().ifPresent(value -> request.header("Authorization", value));
      if (body != null) {
        request.header("Content-Type", CONTENT_TYPE);
        request.method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      } else {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> response;
      try {
        response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (ConnectException | HttpConnectTimeoutException e) {
        // Unreachable: try the next URL. Anything that got further may have reached the registry.
        log.debug("Schema registry {} unreachable for '{}': {}", base, operation, e.toString());
        lastFailure = e;
        continue;
      } catch (HttpTimeoutException e) {
        throw new SchemaRegistryException(
            SchemaRegistryException.Kind.UNAVAILABLE,
            -1,
            -1,
            "Schema registry "
                + base
                + " did not answer within "
                + config.requestTimeout().toMillis()
                + " ms to "
                + operation,
            e);
      } catch (IOException e) {
        throw new SchemaRegistryException(
            SchemaRegistryException.Kind.UNAVAILABLE,
            -1,
            -1,
            "Schema registry " + base + " failed to " + operation + ": " + e,
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException(
            SchemaRegistryException.Kind.UNAVAILABLE,
            -1,
            -1,
            "Interrupted while trying to " + operation,
            e);
      }
      return answer(operation, base, response);
    }
    throw new SchemaRegistryException(
        SchemaRegistryException.Kind.UNAVAILABLE,
        -1,
        -1,
        "Schema registry unreachable at " + urls + " to " + operation + ": " + lastFailure,
        lastFailure);
  }

  private static JsonNode answer(String operation, URI base, HttpResponse<String> response) {
    int status = response.statusCode();
    JsonNode json = null;
    try {
      json =
          response.body() == null || response.body().isBlank()
              ? null
              : JSON.readTree(response.body());
    } catch (IOException notJson) {
      // Fall through: an error page from a proxy, or a wrong base URL.
    }
    if (status >= 200 && status < 300) {
      if (json == null || !json.isObject()) {
        throw new SchemaRegistryException(
            SchemaRegistryException.Kind.OTHER,
            status,
            -1,
            "Schema registry "
                + base
                + " answered "
                + operation
                + " with HTTP "
                + status
                + " but no JSON object: "
                + excerpt(response.body()));
      }
      return json;
    }
    int errorCode =
        json != null && json.path("error_code").canConvertToInt()
            ? json.path("error_code").asInt()
            : -1;
    String message =
        json != null && json.hasNonNull("message")
            ? json.get("message").asText()
            : excerpt(response.body());
    SchemaRegistryException.Kind kind = SchemaRegistryException.classify(status, errorCode);
    throw new SchemaRegistryException(
        kind,
        status,
        errorCode,
        "Schema registry "
            + base
            + " refused to "
            + operation
            + ": HTTP "
            + status
            + (errorCode >= 0 ? " error_code " + errorCode : "")
            + ": "
            + message);
  }

  private static Schema parseSchema(JsonNode answer, String operation) {
    String type = answer.path("schemaType").asText("AVRO");
    if (!type.equalsIgnoreCase("AVRO")) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.OTHER,
          200,
          -1,
          "Cannot " + operation + ": schema type is " + type + ", only AVRO is supported");
    }
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.OTHER,
          200,
          -1,
          "Cannot " + operation + ": answer has no 'schema' string");
    }
    try {
      return new Schema.Parser().parse(text.asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.INVALID_SCHEMA,
          200,
          -1,
          "Cannot " + operation + ": the registry's schema does not parse: " + e.getMessage(),
          e);
    }
  }

  private static int requiredInt(JsonNode answer, String field, String operation) {
    JsonNode value = answer.get(field);
    if (value == null || !value.canConvertToInt()) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.OTHER,
          200,
          -1,
          "Cannot " + operation + ": answer has no integer '" + field + "'");
    }
    return value.asInt();
  }

  private static String subjectPath(String subject) {
    // Path segment encoding: URLEncoder does form encoding, so undo its '+' for spaces.
    return "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String requireSubject(String subject) {
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("subject must not be blank");
    }
    return subject;
  }

  private static String excerpt(String body) {
    if (body == null || body.isBlank()) {
      return "(empty body)";
    }
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
  }

  @Override
  public String toString() {
    return "RestSchemaRegistryClient[" + config + "]";
  }
}
