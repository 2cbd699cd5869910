package io.editstream.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Gemini API's Batch API and Files API routes, as the REST reference and the google-genai SDK
 * use them:
 *
 * <ul>
 *   <li>{@code POST /v1beta/models/M:batchGenerateContent} (reached through {@link GeminiEndpoint})
 *   <li>{@code GET /v1beta/batches}, {@code GET|DELETE /v1beta/batches/ID}, {@code POST
 *       /v1beta/batches/ID:cancel}
 *   <li>{@code POST /upload/v1beta/files} (resumable upload: start, then chunks to the upload URL)
 *   <li>{@code GET|DELETE /v1beta/files/ID}, {@code GET /v1beta/files/ID:download?alt=media} and
 *       {@code GET /download/v1beta/files/ID:download?alt=media}
 * </ul>
 */
final class BatchEndpoint {

  private static final Pattern BATCHES = Pattern.compile("^/(v1beta|v1|v1alpha)/batches$");
  private static final Pattern BATCH =
      Pattern.compile("^/(v1beta|v1|v1alpha)/batches/([^/:]+)(:cancel)?$");
  private static final Pattern UPLOAD = Pattern.compile("^/upload/(v1beta|v1|v1alpha)/files$");
  private static final Pattern FILE =
      Pattern.compile("^(/download)?/(v1beta|v1|v1alpha)/files/([^/:]+)(:download)?$");
  private static final Set<String> UPLOAD_COMMANDS =
      Set.of("upload", "finalize", "query", "cancel");

  private final EmulatorConfig config;
  private final ObjectMapper json;
  private final BatchJobs batches;
  private final FileStore files;
  private final StatsRecorder stats;

  BatchEndpoint(
      EmulatorConfig config,
      ObjectMapper json,
      BatchJobs batches,
      FileStore files,
      StatsRecorder stats) {
    this.config = config;
    this.json = json;
    this.batches = batches;
    this.files = files;
    this.stats = stats;
  }

  /** Serves the request if its path is a Batch or Files API route; false otherwise. */
  boolean handle(HttpExchange exchange, String path) throws IOException {
    Matcher m;
    if ((m = BATCHES.matcher(path)).matches()) {
      list(exchange);
    } else if ((m = BATCH.matcher(path)).matches()) {
      batch(exchange, "batches/" + m.group(2), m.group(3) != null);
    } else if ((m = UPLOAD.matcher(path)).matches()) {
      upload(exchange);
    } else if ((m = FILE.matcher(path)).matches()) {
      file(exchange, "files/" + m.group(3), m.group(1) != null || m.group(4) != null);
    } else {
      return false;
    }
    return true;
  }

  /** {@code POST /VERSION/models/M:batchGenerateContent}. */
  void create(HttpExchange exchange, String version, String model) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      GeminiEndpoint.drain(exchange);
      error(exchange, ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    byte[] body = GeminiEndpoint.readBody(exchange);
    if (refuseCaller(exchange)) {
      return;
    }
    if (!config.models().contains(model)) {
      error(exchange, ApiError.modelNotFound(version, model));
      return;
    }
    if (body == null) {
      // Inline batches are capped by the request size, as Google caps them; larger go by file.
      error(exchange, ApiError.payloadTooLarge());
      return;
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      error(
          exchange,
          ApiError.invalidArgument(
              "Invalid JSON payload received. " + e.getOriginalMessage().split("\n")[0]));
      return;
    }
    if (root == null || !root.isObject()) {
      error(
          exchange,
          ApiError.invalidArgument(
              "Invalid JSON payload received. Expected an object at the top level."));
      return;
    }
    String keyId = EmulatorStats.keyId(GeminiEndpoint.apiKey(exchange));
    BatchJobs.Created created = batches.create(keyId, model, root);
    if (created.error() != null) {
      error(exchange, created.error());
      return;
    }
    write(exchange, 200, batches.toOperation(created.batch()));
  }

  private void list(HttpExchange exchange) throws IOException {
    GeminiEndpoint.drain(exchange);
    if (refuseCaller(exchange) || !allow(exchange, "GET")) {
      return;
    }
    int pageSize = BatchJobs.DEFAULT_PAGE_SIZE;
    String size = GeminiEndpoint.query(exchange, "pageSize");
    if (size != null) {
      try {
        pageSize = Integer.parseInt(size);
      } catch (NumberFormatException e) {
        pageSize = -1;
      }
      if (pageSize < 0) {
        error(
            exchange,
            ApiError.badField("page_size", "Invalid value at 'page_size' (TYPE_INT32), " + size));
        return;
      }
      pageSize =
          pageSize == 0 ? BatchJobs.DEFAULT_PAGE_SIZE : Math.min(pageSize, BatchJobs.MAX_PAGE_SIZE);
    }
    BatchJobs.Page page = batches.list(pageSize, GeminiEndpoint.query(exchange, "pageToken"));
    if (page == null) {
      error(
          exchange,
          ApiError.badField("page_token", "Invalid page_token: not one this API issued."));
      return;
    }
    ObjectNode body = json.createObjectNode();
    ArrayNode operations = body.putArray("operations");
    page.batches().forEach(b -> operations.add(batches.toOperation(b)));
    if (page.nextPageToken() != null) {
      body.put("nextPageToken", page.nextPageToken());
    }
    write(exchange, 200, body);
  }

  private void batch(HttpExchange exchange, String name, boolean cancel) throws IOException {
    GeminiEndpoint.drain(exchange);
    if (refuseCaller(exchange)) {
      return;
    }
    String method = exchange.getRequestMethod();
    if (cancel ? !"POST".equals(method) : !"GET".equals(method) && !"DELETE".equals(method)) {
      error(exchange, ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    BatchJobs.Batch batch = batches.get(name);
    if (batch == null) {
      error(exchange, batchNotFound(name));
      return;
    }
    if (cancel) {
      batches.cancel(batch);
      write(exchange, 200, json.createObjectNode());
    } else if ("DELETE".equals(method)) {
      batches.delete(name);
      write(exchange, 200, json.createObjectNode());
    } else {
      write(exchange, 200, batches.toOperation(batch));
    }
  }

  static ApiError batchNotFound(String name) {
    return new ApiError(404, "NOT_FOUND", "Batch " + name + " was not found.", List.of());
  }

  private void file(HttpExchange exchange, String name, boolean download) throws IOException {
    GeminiEndpoint.drain(exchange);
    if (refuseCaller(exchange)) {
      return;
    }
    String method = exchange.getRequestMethod();
    if (download ? !"GET".equals(method) : !"GET".equals(method) && !"DELETE".equals(method)) {
      error(exchange, ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    FileStore.StoredFile file = files.get(name);
    if (file == null) {
      error(
          exchange,
          new ApiError(
              403,
              "PERMISSION_DENIED",
              "You do not have permission to access the File "
                  + name.substring("files/".length())
                  + " or it may not exist.",
              List.of()));
      return;
    }
    if (download) {
      exchange.getResponseHeaders().set("Content-Type", file.mimeType());
      bytes(exchange, 200, file.bytes());
    } else if ("DELETE".equals(method)) {
      files.delete(name);
      write(exchange, 200, json.createObjectNode());
    } else {
      write(exchange, 200, file.toJson(baseUrl(exchange)));
    }
  }

  /**
   * The resumable upload protocol: {@code X-Goog-Upload-Command: start} with the file's metadata
   * answers the upload URL; then {@code upload} chunks at {@code X-Goog-Upload-Offset}, the last
   * with {@code upload, finalize}, which answers {@code {"file": ...}}.
   */
  private void upload(HttpExchange exchange) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      GeminiEndpoint.drain(exchange);
      error(exchange, ApiError.notFound(exchange.getRequestURI().getRawPath()));
      return;
    }
    String uploadId = GeminiEndpoint.query(exchange, "upload_id");
    if (uploadId != null) {
      chunk(exchange, uploadId);
      return;
    }
    byte[] body = GeminiEndpoint.readBody(exchange);
    if (refuseCaller(exchange)) {
      return;
    }
    String protocol = header(exchange, "X-Goog-Upload-Protocol");
    if (!"resumable".equalsIgnoreCase(protocol)) {
      error(
          exchange,
          ApiError.badField(
              "X-Goog-Upload-Protocol",
              "The emulator supports the resumable upload protocol only: send"
                  + " X-Goog-Upload-Protocol: resumable (was "
                  + (protocol == null ? "absent" : protocol)
                  + ")."));
      return;
    }
    if (!commands(exchange).contains("start")) {
      error(
          exchange,
          ApiError.badField(
              "X-Goog-Upload-Command",
              "A new resumable upload starts with X-Goog-Upload-Command: start."));
      return;
    }
    JsonNode meta = json.createObjectNode();
    if (body != null && body.length > 0) {
      try {
        meta = json.readTree(body).path("file");
      } catch (JsonProcessingException e) {
        error(exchange, ApiError.invalidArgument("Invalid JSON payload received."));
        return;
      }
    }
    long declared = -1;
    String length = header(exchange, "X-Goog-Upload-Header-Content-Length");
    if (length != null) {
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        declared = -2;
      }
      if (declared < 0 || declared > FileStore.MAX_FILE_BYTES) {
        error(
            exchange,
            ApiError.badField(
                "X-Goog-Upload-Header-Content-Length",
                "X-Goog-Upload-Header-Content-Length must be a size in 0.."
                    + FileStore.MAX_FILE_BYTES
                    + " bytes, was "
                    + length));
        return;
      }
    }
    String mimeType = header(exchange, "X-Goog-Upload-Header-Content-Type");
    if (mimeType == null) {
      mimeType = meta.path("mimeType").asText("application/octet-stream");
    }
    String id =
        files.start(
            meta.path("name").asText(null),
            meta.path("displayName").asText(null),
            mimeType,
            declared);
    if (id == null) {
      error(
          exchange,
          new ApiError(
              409,
              "ALREADY_EXISTS",
              "A file named " + meta.path("name").asText() + " already exists.",
              List.of()));
      return;
    }
    String url =
        baseUrl(exchange)
            + exchange.getRequestURI().getRawPath()
            + "?upload_id="
            + id
            + "&upload_protocol=resumable";
    exchange.getResponseHeaders().set("X-Goog-Upload-Status", "active");
    exchange.getResponseHeaders().set("X-Goog-Upload-URL", url);
    exchange.getResponseHeaders().set("X-Goog-Upload-Control-URL", url);
    exchange.getResponseHeaders().set("X-Goog-Upload-Chunk-Granularity", "8388608");
    bytes(exchange, 200, new byte[0]);
  }

  private void chunk(HttpExchange exchange, String uploadId) throws IOException {
    FileStore.Upload upload = files.upload(uploadId);
    if (upload == null) {
      GeminiEndpoint.drain(exchange);
      error(
          exchange,
          new ApiError(
              404,
              "NOT_FOUND",
              "No upload with upload_id " + uploadId + " is in progress.",
              List.of()));
      return;
    }
    Set<String> commands = commands(exchange);
    if (commands.isEmpty() || !UPLOAD_COMMANDS.containsAll(commands)) {
      GeminiEndpoint.drain(exchange);
      error(
          exchange,
          ApiError.badField(
              "X-Goog-Upload-Command",
              "X-Goog-Upload-Command must be upload, 'upload, finalize', finalize, query or"
                  + " cancel, was "
                  + header(exchange, "X-Goog-Upload-Command")));
      return;
    }
    if (commands.contains("query")) {
      GeminiEndpoint.drain(exchange);
      exchange.getResponseHeaders().set("X-Goog-Upload-Status", "active");
      exchange
          .getResponseHeaders()
          .set("X-Goog-Upload-Size-Received", Long.toString(upload.received()));
      bytes(exchange, 200, new byte[0]);
      return;
    }
    if (commands.contains("cancel")) {
      GeminiEndpoint.drain(exchange);
      files.cancel(uploadId);
      exchange.getResponseHeaders().set("X-Goog-Upload-Status", "cancelled");
      bytes(exchange, 200, new byte[0]);
      return;
    }
    byte[] chunk = readUpTo(exchange, FileStore.MAX_FILE_BYTES - upload.received());
    if (chunk == null) {
      error(
          exchange,
          ApiError.invalidArgument(
              "The upload exceeds the emulator's file size limit of "
                  + FileStore.MAX_FILE_BYTES
                  + " bytes."));
      return;
    }
    if (commands.contains("upload")) {
      String offsetHeader = header(exchange, "X-Goog-Upload-Offset");
      long offset;
      try {
        offset = Long.parseLong(offsetHeader == null ? "" : offsetHeader.trim());
      } catch (NumberFormatException e) {
        offset = -1;
      }
      if (!upload.append(offset, chunk)) {
        exchange.getResponseHeaders().set("X-Goog-Upload-Status", "active");
        exchange
            .getResponseHeaders()
            .set("X-Goog-Upload-Size-Received", Long.toString(upload.received()));
        error(
            exchange,
            ApiError.badField(
                "X-Goog-Upload-Offset",
                "X-Goog-Upload-Offset must be "
                    + upload.received()
                    + " (the bytes received so far), was "
                    + offsetHeader));
        return;
      }
    }
    if (!commands.contains("finalize")) {
      exchange.getResponseHeaders().set("X-Goog-Upload-Status", "active");
      bytes(exchange, 200, new byte[0]);
      return;
    }
    if (upload.declaredBytes >= 0 && upload.declaredBytes != upload.received()) {
      error(
          exchange,
          ApiError.badField(
              "X-Goog-Upload-Header-Content-Length",
              "The upload declared "
                  + upload.declaredBytes
                  + " bytes (X-Goog-Upload-Header-Content-Length) but "
                  + upload.received()
                  + " arrived."));
      return;
    }
    FileStore.StoredFile file = files.finish(uploadId, upload);
    stats.fileUploaded();
    ObjectNode answer = json.createObjectNode();
    answer.set("file", file.toJson(baseUrl(exchange)));
    exchange.getResponseHeaders().set("X-Goog-Upload-Status", "final");
    write(exchange, 200, answer);
  }

  private static Set<String> commands(HttpExchange exchange) {
    String value = header(exchange, "X-Goog-Upload-Command");
    if (value == null) {
      return Set.of();
    }
    return Arrays.stream(value.split(","))
        .map(c -> c.trim().toLowerCase(Locale.ROOT))
        .filter(c -> !c.isEmpty())
        .collect(Collectors.toSet());
  }

  private static String header(HttpExchange exchange, String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  /** The body, or null when it is longer than {@code limit} (the rest is discarded). */
  private static byte[] readUpTo(HttpExchange exchange, long limit) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total <= limit) {
          out.write(buffer, 0, n);
        }
      }
      return total > limit ? null : out.toByteArray();
    }
  }

  /** {@code http://HOST:PORT} as the client addressed us, for upload URLs and file URIs. */
  private static String baseUrl(HttpExchange exchange) {
    String host = header(exchange, "Host");
    if (host == null || host.isBlank()) {
      host =
          exchange.getLocalAddress().getHostString() + ":" + exchange.getLocalAddress().getPort();
    }
    return "http://" + host;
  }

  /** Answers the API key error, if the emulator wants a key and this is not it. */
  private boolean refuseCaller(HttpExchange exchange) throws IOException {
    if (config.apiKey() == null) {
      return false;
    }
    String key = GeminiEndpoint.apiKey(exchange);
    if (key == null || key.isEmpty()) {
      error(exchange, ApiError.unregisteredCaller());
      return true;
    }
    if (!EditEngine.sameSecret(key, config.apiKey())) {
      error(exchange, ApiError.apiKeyInvalid());
      return true;
    }
    return false;
  }

  private boolean allow(HttpExchange exchange, String method) throws IOException {
    if (method.equals(exchange.getRequestMethod())) {
      return true;
    }
    error(exchange, ApiError.notFound(exchange.getRequestURI().getRawPath()));
    return false;
  }

  private void error(HttpExchange exchange, ApiError error) throws IOException {
    write(exchange, error.code(), error.toJson());
  }

  private void write(HttpExchange exchange, int status, JsonNode body) throws IOException {
    try {
      PendingCall.writeJson(exchange, json, status, body);
    } finally {
      exchange.close();
    }
  }

  private static void bytes(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    try {
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    } finally {
      exchange.close();
    }
  }
}
