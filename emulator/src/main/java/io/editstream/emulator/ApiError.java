package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * An error answer in Google's shape: {@code {"error":{"code","message","status","details"}}}.
 * Messages copy what the Gemini API says for the same condition.
 */
record ApiError(int code, String status, String message, List<JsonNode> details) {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  static final String RATE_LIMIT_DOCS = "https://ai.google.dev/gemini-api/docs/rate-limits";

  ApiError {
    details = List.copyOf(details);
  }

  ObjectNode toJson() {
    ObjectNode error = JSON.objectNode();
    error.put("code", code);
    error.put("message", message);
    error.put("status", status);
    if (!details.isEmpty()) {
      ArrayNode array = error.putArray("details");
      details.forEach(array::add);
    }
    ObjectNode root = JSON.objectNode();
    root.set("error", error);
    return root;
  }

  static ApiError invalidArgument(String message) {
    return new ApiError(400, "INVALID_ARGUMENT", message, List.of());
  }

  /** 400 with a {@code BadRequest} field violation, as Google answers for malformed fields. */
  static ApiError badField(String field, String description) {
    ObjectNode violation = JSON.objectNode().put("field", field).put("description", description);
    ObjectNode badRequest =
        JSON.objectNode().put("@type", "type.googleapis.com/google.rpc.BadRequest");
    badRequest.putArray("fieldViolations").add(violation);
    return new ApiError(400, "INVALID_ARGUMENT", description, List.of(badRequest));
  }

  static ApiError payloadTooLarge() {
    return invalidArgument(
        "Request payload size exceeds the limit: " + RequestParser.MAX_PAYLOAD_BYTES + " bytes.");
  }

  static ApiError apiKeyInvalid() {
    String message = "API key not valid. Please pass a valid API key.";
    ObjectNode info =
        JSON.objectNode()
            .put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
            .put("reason", "API_KEY_INVALID")
            .put("domain", "googleapis.com");
    info.putObject("metadata").put("service", "generativelanguage.googleapis.com");
    ObjectNode localized =
        JSON.objectNode()
            .put("@type", "type.googleapis.com/google.rpc.LocalizedMessage")
            .put("locale", "en-US")
            .put("message", message);
    return new ApiError(400, "INVALID_ARGUMENT", message, List.of(info, localized));
  }

  static ApiError unregisteredCaller() {
    return new ApiError(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity)."
            + " Please use API Key or other form of API consumer identity to call this API.",
        List.of());
  }

  static ApiError permissionDenied() {
    return new ApiError(403, "PERMISSION_DENIED", "The caller does not have permission", List.of());
  }

  /** Vertex AI without a valid OAuth access token. */
  static ApiError unauthenticated(boolean missing) {
    ObjectNode info =
        JSON.objectNode()
            .put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
            .put("reason", missing ? "CREDENTIALS_MISSING" : "ACCESS_TOKEN_TYPE_UNSUPPORTED")
            .put("domain", "googleapis.com");
    info.putObject("metadata").put("service", "aiplatform.googleapis.com");
    return new ApiError(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login"
            + " cookie or other valid authentication credential. See"
            + " https://developers.google.com/identity/sign-in/web/devconsole-project.",
        List.of(info));
  }

  /** Vertex AI's answer for a model it does not serve. */
  static ApiError publisherModelNotFound(String project, String location, String model) {
    return new ApiError(
        404,
        "NOT_FOUND",
        "Publisher Model `projects/"
            + project
            + "/locations/"
            + location
            + "/publishers/google/models/"
            + model
            + "` was not found or your project does not have access to it.",
        List.of());
  }

  static ApiError modelNotFound(String apiVersion, String model) {
    return new ApiError(
        404,
        "NOT_FOUND",
        "models/"
            + model
            + " is not found for API version "
            + apiVersion
            + ", or is not supported for generateContent. Call ListModels to see the list of"
            + " available models and their supported methods.",
        List.of());
  }

  static ApiError notFound(String path) {
    return new ApiError(404, "NOT_FOUND", "Requested entity was not found: " + path, List.of());
  }

  static ApiError internal() {
    return new ApiError(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in"
            + " https://developers.generativeai.google/guide/troubleshooting",
        List.of());
  }

  static ApiError unavailable() {
    return new ApiError(
        503, "UNAVAILABLE", "The model is overloaded. Please try again later.", List.of());
  }

  static ApiError deadlineExceeded() {
    return new ApiError(
        504, "DEADLINE_EXCEEDED", "The request timed out. Please try again.", List.of());
  }

  /**
   * 429 with a {@code QuotaFailure} naming each exceeded quota, a {@code Help} link and a {@code
   * RetryInfo} whose delay is the time until every exceeded window has room again.
   */
  static ApiError quotaExceeded(List<QuotaViolation> violations, String model, long retryMillis) {
    StringBuilder message =
        new StringBuilder(
            "You exceeded your current quota, please check your plan and billing details. For"
                + " more information on this error, head to: "
                + RATE_LIMIT_DOCS
                + ". To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. ");
    ObjectNode failure =
        JSON.objectNode().put("@type", "type.googleapis.com/google.rpc.QuotaFailure");
    ArrayNode array = failure.putArray("violations");
    for (QuotaViolation v : violations) {
      message
          .append("\n* Quota exceeded for metric: ")
          .append(v.kind().metric())
          .append(", limit: ")
          .append(v.limit())
          .append(", model: ")
          .append(model);
      ObjectNode node =
          array
              .addObject()
              .put("quotaMetric", v.kind().metric())
              .put("quotaId", v.kind().quotaId());
      node.putObject("quotaDimensions").put("location", "global").put("model", model);
      node.put("quotaValue", Long.toString(v.limit()));
    }
    String delay = duration(retryMillis);
    message.append("\nPlease retry in ").append(delay).append('.');
    ObjectNode help = JSON.objectNode().put("@type", "type.googleapis.com/google.rpc.Help");
    help.putArray("links")
        .addObject()
        .put("description", "Learn more about Gemini API quotas")
        .put("url", RATE_LIMIT_DOCS);
    return new ApiError(
        429, "RESOURCE_EXHAUSTED", message.toString(), List.of(failure, help, retryInfo(delay)));
  }

  /**
   * This error with a {@code RetryInfo} of {@code millis} in place of any it had (the {@code
   * retry-delay} directive). The message is kept as it is.
   */
  ApiError withRetryDelay(long millis) {
    List<JsonNode> kept = new ArrayList<>();
    for (JsonNode d : details) {
      if (!RETRY_INFO.equals(d.path("@type").asText())) {
        kept.add(d);
      }
    }
    kept.add(retryInfo(duration(millis)));
    return new ApiError(code, status, message, kept);
  }

  private static final String RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo";

  private static ObjectNode retryInfo(String delay) {
    return JSON.objectNode().put("@type", RETRY_INFO).put("retryDelay", delay);
  }

  /** 429 on request (trigger marker), without quota bookkeeping. */
  static ApiError quotaExceededTriggered(String model) {
    return quotaExceeded(List.of(new QuotaViolation(QuotaKind.RPM, 0, 0)), model, 1000);
  }

  /**
   * A protobuf {@code Duration} in its JSON form: whole seconds, or seconds with millisecond
   * fraction, then "s" ("47s", "0.500s").
   */
  static String duration(long millis) {
    long seconds = millis / 1000;
    long fraction = millis % 1000;
    return fraction == 0 ? seconds + "s" : String.format("%d.%03ds", seconds, fraction);
  }

  /** The error a drawn fault answers, or null for faults that are answers (block, no image). */
  static ApiError forFault(Draws.Fault fault) {
    return switch (fault) {
      case INTERNAL -> internal();
      case UNAVAILABLE -> unavailable();
      case DEADLINE -> deadlineExceeded();
      default -> null;
    };
  }

  /** A canned error for a status code (trigger markers such as {@code fail=503}). */
  static ApiError forCode(int code, String model) {
    return switch (code) {
      case 400 -> invalidArgument("Request contains an invalid argument.");
      case 401 -> unauthenticated(false);
      case 403 -> permissionDenied();
      case 404 -> modelNotFound("v1beta", model);
      case 429 -> quotaExceededTriggered(model);
      case 500 -> internal();
      case 503 -> unavailable();
      case 504 -> deadlineExceeded();
      default ->
          throw new IllegalArgumentException(
              "fail code must be one of 400, 401, 403, 404, 429, 500, 503, 504, was " + code);
    };
  }
}
