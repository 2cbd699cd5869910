package io.editstream.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Gemini Batch API's state: batches created by {@code batchGenerateContent}, their states over
 * the emulator's clock, and their answers. Every request of a batch is answered by the same {@link
 * EditEngine} as online calls (triggers, faults, rendering), in the background, without the online
 * quotas; the answers become visible when the batch's turnaround is over.
 *
 * <p>A batch is {@code PENDING} for the first half of its turnaround and {@code RUNNING} for the
 * second; then it ends {@code SUCCEEDED} (once every answer is made), or {@code FAILED} / {@code
 * EXPIRED} when its first request carries {@code [emulator:batch=fail]} / {@code
 * [emulator:batch=expire]}. Cancelling a pending or running batch ends it {@code CANCELLED}.
 */
final class BatchJobs {

  private static final Logger log = LoggerFactory.getLogger(BatchJobs.class);
  static final String BATCH_TYPE =
      "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch";
  static final String OUTPUT_TYPE =
      "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput";
  static final int DEFAULT_PAGE_SIZE = 50;
  static final int MAX_PAGE_SIZE = 1000;

  /** The REST API's batch states ({@code BATCH_STATE_*}); the SDK reports them as JOB_STATE_*. */
  enum State {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    EXPIRED;

    String api() {
      return "BATCH_STATE_" + name();
    }

    boolean terminal() {
      return this != PENDING && this != RUNNING;
    }
  }

  /**
   * One request of a batch: its body, its key (file batches) or metadata (inline batches), and its
   * input tokens for the enqueued-token quota.
   */
  record Item(byte[] body, String key, JsonNode metadata, long promptTokens) {
    Item withoutBody() {
      return new Item(null, key, metadata, promptTokens);
    }
  }

  /** A created batch. Its answers fill {@code results} in the background. */
  static final class Batch {
    final long sequence;
    final String name;
    final String model;
    final String displayName;
    final String keyId;
    final Instant created;
    final Instant due;
    final List<Item> items;
    final boolean fromFile;
    final Directives.BatchFate fate;
    final long tokens;

    /** The request bodies until each is answered (then let go: they can hold large images). */
    private final byte[][] bodies;

    private final AtomicInteger remaining;
    private ObjectNode[] results;
    private Instant cancelled;
    private Instant completed;
    private String responsesFile;
    private int succeeded;
    private int failed;

    Batch(
        long sequence,
        String name,
        String model,
        String displayName,
        String keyId,
        Instant created,
        Instant due,
        List<Item> items,
        boolean fromFile,
        Directives.BatchFate fate) {
      this.sequence = sequence;
      this.name = name;
      this.model = model;
      this.displayName = displayName;
      this.keyId = keyId;
      this.created = created;
      this.due = due;
      this.bodies = items.stream().map(Item::body).toArray(byte[][]::new);
      this.items = items.stream().map(Item::withoutBody).toList();
      this.fromFile = fromFile;
      this.fate = fate;
      this.tokens = items.stream().mapToLong(Item::promptTokens).sum();
      this.remaining = new AtomicInteger(items.size());
      this.results = new ObjectNode[items.size()];
    }

    synchronized State state(Instant now) {
      if (cancelled != null) {
        return State.CANCELLED;
      }
      Duration turnaround = Duration.between(created, due);
      if (now.isBefore(created.plus(turnaround.dividedBy(2)))) {
        return State.PENDING;
      }
      if (now.isBefore(due)) {
        return State.RUNNING;
      }
      if (fate == Directives.BatchFate.FAIL) {
        return State.FAILED;
      }
      if (fate == Directives.BatchFate.EXPIRE) {
        return State.EXPIRED;
      }
      // The turnaround is over but answers are still being made: still running, as Google's batches
      // often are past their target.
      return completed == null ? State.RUNNING : State.SUCCEEDED;
    }

    synchronized boolean cancel(Instant now) {
      if (state(now).terminal()) {
        return false;
      }
      cancelled = now;
      return true;
    }

    synchronized boolean isCancelled() {
      return cancelled != null;
    }
  }

  /** The outcome of a create: a batch or the error Google would answer. */
  record Created(Batch batch, ApiError error) {}

  private final EditEngine engine;
  private final RequestParser parser;
  private final ResponseFactory responses = new ResponseFactory();
  private final ObjectMapper json;
  private final FileStore files;
  private final StatsRecorder stats;
  private final Executor work;
  private final Clock clock;
  private final EmulatorConfig config;
  private final ResourceIds ids;
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, Batch> byName = new ConcurrentHashMap<>();
  private final NavigableMap<Long, Batch> bySequence = new ConcurrentSkipListMap<>();

  BatchJobs(
      EditEngine engine, ObjectMapper json, FileStore files, StatsRecorder stats, Executor work) {
    this.engine = engine;
    this.config = engine.config();
    this.clock = config.clock();
    this.parser = new RequestParser(json);
    this.json = json;
    this.files = files;
    this.stats = stats;
    this.work = work;
    this.ids = new ResourceIds(config.seed(), "batch");
  }

  Instant now() {
    return clock.instant();
  }

  /**
   * Validates a {@code batchGenerateContent} body, checks the batch quotas and starts answering.
   * The path's model has been checked by the caller.
   */
  Created create(String keyId, String model, JsonNode body) {
    JsonNode batch = body.path("batch");
    if (!batch.isObject()) {
      return refused(
          ApiError.badField("batch", "* BatchGenerateContentRequest.batch: is required"));
    }
    JsonNode input = batch.path("inputConfig");
    if (!input.isObject()) {
      return refused(
          ApiError.badField(
              "batch.input_config",
              "* GenerateContentBatch.input_config: input_config is required (requests or"
                  + " file_name)"));
    }
    boolean hasRequests = input.has("requests");
    boolean hasFile = input.hasNonNull("fileName");
    if (hasRequests == hasFile) {
      return refused(
          ApiError.badField(
              "batch.input_config",
              "* GenerateContentBatch.input_config: exactly one of requests and file_name must be"
                  + " set"));
    }
    Object items = hasFile ? fileItems(input.get("fileName").asText()) : inlineItems(input);
    if (items instanceof ApiError error) {
      return refused(error);
    }
    @SuppressWarnings("unchecked")
    List<Item> list = (List<Item>) items;
    Directives.BatchFate fate = fate(model, list.get(0));
    String displayName = batch.path("displayName").asText(null);
    Batch created;
    synchronized (this) {
      Instant now = now();
      ApiError quota = quota(keyId, model, list, now);
      if (quota != null) {
        stats.batchRefused();
        return refused(quota);
      }
      long seq = sequence.incrementAndGet();
      created =
          new Batch(
              seq,
              "batches/" + ids.next(),
              model,
              displayName,
              keyId,
              now,
              now.plus(config.batchTurnaround()),
              list,
              hasFile,
              fate);
      byName.put(created.name, created);
      bySequence.put(seq, created);
    }
    stats.batchCreated(created.name, list.size());
    log.info(
        "Batch {} created: {} requests for {} ({}), due {}",
        created.name,
        list.size(),
        model,
        hasFile ? "file" : "inline",
        created.due);
    start(created);
    return new Created(created, null);
  }

  private static Created refused(ApiError error) {
    return new Created(null, error);
  }

  private Object inlineItems(JsonNode input) {
    JsonNode requests = input.path("requests").path("requests");
    String field = "batch.input_config.requests.requests";
    if (!requests.isArray() || requests.isEmpty()) {
      return ApiError.badField(
          field, "* GenerateContentBatch.input_config.requests.requests: must not be empty");
    }
    List<Item> items = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      JsonNode entry = requests.get(i);
      JsonNode request = entry.path("request");
      if (!request.isObject()) {
        return ApiError.badField(
            field + "[" + i + "].request",
            "* GenerateContentBatch.input_config.requests.requests["
                + i
                + "].request: request is required");
      }
      JsonNode metadata = entry.get("metadata");
      items.add(item(request, null, metadata == null || metadata.isNull() ? null : metadata));
    }
    return items;
  }

  private Object fileItems(String fileName) {
    String field = "batch.input_config.file_name";
    FileStore.StoredFile file = files.get(fileName);
    if (file == null) {
      return new ApiError(
          404,
          "NOT_FOUND",
          "File " + fileName + " (" + field + ") was not found; upload it with the Files API.",
          List.of());
    }
    String[] lines = new String(file.bytes(), StandardCharsets.UTF_8).split("\r?\n");
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      JsonNode line;
      try {
        line = json.readTree(lines[i]);
      } catch (JsonProcessingException e) {
        line = null;
      }
      if (line == null || !line.isObject() || !line.path("request").isObject()) {
        return ApiError.badField(
            field,
            "Line "
                + (i + 1)
                + " of "
                + fileName
                + " is not a JSON object with a \"request\" object (and an optional \"key\").");
      }
      JsonNode key = line.get("key");
      items.add(item(line.get("request"), key == null || key.isNull() ? null : key.asText(), null));
    }
    if (items.isEmpty()) {
      return ApiError.badField(field, fileName + " holds no requests.");
    }
    return items;
  }

  private Item item(JsonNode request, String key, JsonNode metadata) {
    byte[] body;
    try {
      body = json.writeValueAsBytes(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    RequestParser.Result parsed = parser.parse("batch", body, null, false);
    long tokens = parsed.request() == null ? 0 : parsed.request().promptTokens();
    return new Item(body, key, metadata, tokens);
  }

  /** A test's forced end for the whole batch, from its first request. */
  private Directives.BatchFate fate(String model, Item first) {
    RequestParser.Result parsed = parser.parse(model, first.body(), null, false);
    return parsed.request() == null ? null : parsed.request().directives().batchFate();
  }

  /** Google's batch limits: concurrent batches per key, enqueued tokens per key and model. */
  private ApiError quota(String keyId, String model, List<Item> items, Instant now) {
    int active = 0;
    long tokens = items.stream().mapToLong(Item::promptTokens).sum();
    long earliestEnd = Long.MAX_VALUE;
    for (Batch b : bySequence.values()) {
      if (!b.keyId.equals(keyId) || b.state(now).terminal()) {
        continue;
      }
      active++;
      if (b.model.equals(model)) {
        tokens += b.tokens;
      }
      earliestEnd = Math.min(earliestEnd, Math.max(1000, Duration.between(now, b.due).toMillis()));
    }
    long retry = earliestEnd == Long.MAX_VALUE ? 1000 : earliestEnd;
    List<QuotaViolation> violations = new ArrayList<>();
    int maxConcurrent = config.batchMaxConcurrent();
    if (maxConcurrent > 0 && active >= maxConcurrent) {
      violations.add(new QuotaViolation(QuotaKind.BATCH_CONCURRENT, maxConcurrent, retry));
    }
    long maxTokens = config.batchMaxEnqueuedTokens();
    if (maxTokens > 0 && tokens > maxTokens) {
      violations.add(new QuotaViolation(QuotaKind.BATCH_ENQUEUED_TOKENS, maxTokens, retry));
    }
    return violations.isEmpty() ? null : ApiError.quotaExceeded(violations, model, retry);
  }

  /** Answers every request in the background, unless the batch is forced to fail or expire. */
  private void start(Batch batch) {
    if (batch.fate != null) {
      return;
    }
    for (int i = 0; i < batch.items.size(); i++) {
      int index = i;
      try {
        work.execute(() -> answer(batch, index));
      } catch (RejectedExecutionException e) {
        // Shutting down.
        return;
      }
    }
  }

  private void answer(Batch batch, int index) {
    ObjectNode result = null;
    byte[] body;
    synchronized (batch) {
      body = batch.bodies[index];
      batch.bodies[index] = null;
    }
    if (!batch.isCancelled()) {
      Item item = batch.items.get(index);
      try {
        result = answer(batch.model, body);
      } catch (RuntimeException e) {
        log.warn("Batch {} request {} failed: {}", batch.name, index, e.toString());
        result = error(ApiError.internal());
      }
      if (item.key() != null) {
        result.put("key", item.key());
      }
      if (item.metadata() != null && config.batchEchoesMetadata()) {
        result.set("metadata", item.metadata());
      }
    }
    synchronized (batch) {
      if (batch.results != null) {
        batch.results[index] = result;
      }
    }
    if (batch.remaining.decrementAndGet() == 0) {
      finish(batch);
    }
  }

  /**
   * One request's answer as the online route would give it, minus quota, latency and connection
   * faults: {@code {"response": ...}} or {@code {"error": ...}}.
   */
  private ObjectNode answer(String model, byte[] body) {
    RequestParser.Result parsed =
        parser.parse(model, body, null, ThoughtSignatures.strictFor(model));
    if (parsed.error() != null) {
      return error(parsed.error());
    }
    GenerateRequest request = parsed.request();
    EditEngine.Seen seen = engine.see(model, body, null);
    Draws draws = seen.draws();
    Directives d = request.directives();
    if (d.failCode() != 0 && (d.failTimes() == 0 || seen.before() < d.failTimes())) {
      return error(ApiError.forCode(d.failCode(), model));
    }
    if (d.drop() || draws.fault == Draws.Fault.DROP) {
      // A batch has no connection to drop: the request fails inside it.
      return error(ApiError.internal());
    }
    ApiError fault = ApiError.forFault(d.taskFail() ? Draws.Fault.INTERNAL : draws.fault);
    if (fault != null) {
      return error(fault);
    }
    boolean image = EditEngine.willHaveImage(request, draws);
    ResponseFactory.Answer answer = engine.answer(request, draws, image);
    ObjectNode result = json.createObjectNode();
    result.set("response", responses.full(answer));
    return result;
  }

  private ObjectNode error(ApiError error) {
    ObjectNode result = json.createObjectNode();
    // google.rpc.Status without details: the SDK's JobError reads details as strings.
    result
        .putObject("error")
        .put("code", error.code())
        .put("message", error.message())
        .put("status", error.status());
    return result;
  }

  /** Every answer is made: counts them and, for a file batch, writes its responses file. */
  private void finish(Batch batch) {
    synchronized (batch) {
      if (batch.cancelled != null) {
        batch.results = null;
        return;
      }
      int ok = 0;
      int bad = 0;
      for (ObjectNode r : batch.results) {
        if (r.has("response")) {
          ok++;
        } else {
          bad++;
        }
      }
      batch.succeeded = ok;
      batch.failed = bad;
      if (batch.fromFile) {
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        for (ObjectNode r : batch.results) {
          try {
            jsonl.write(json.writeValueAsBytes(r));
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          jsonl.write('\n');
        }
        String id = batch.name.substring("batches/".length());
        String name = "files/batch-" + id;
        files.putGenerated(
            name, "responses of " + batch.name, "application/jsonl", jsonl.toByteArray());
        batch.responsesFile = name;
        // The answers live in the file now.
        batch.results = null;
      }
      batch.completed = now();
    }
    log.info(
        "Batch {} answered: {} succeeded, {} failed", batch.name, batch.succeeded, batch.failed);
  }

  Batch get(String name) {
    return byName.get(name);
  }

  /** Cancels a pending or running batch; false if it had ended already (cancel is then a no-op). */
  boolean cancel(Batch batch) {
    boolean changed = batch.cancel(now());
    if (changed) {
      stats.batchCancelled();
      log.info("Batch {} cancelled", batch.name);
    }
    return changed;
  }

  boolean delete(String name) {
    Batch removed = byName.remove(name);
    if (removed != null) {
      bySequence.remove(removed.sequence);
    }
    return removed != null;
  }

  /** A page of batches, newest first; the token is the next page's first sequence, opaque. */
  record Page(List<Batch> batches, String nextPageToken) {}

  /**
   * @return the page, or null when the page token is not one this emulator issued
   */
  Page list(int pageSize, String pageToken) {
    long from = Long.MAX_VALUE;
    if (pageToken != null && !pageToken.isEmpty()) {
      try {
        from =
            Long.parseLong(
                new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    List<Batch> page = new ArrayList<>();
    String next = null;
    for (Batch b : bySequence.headMap(from, true).descendingMap().values()) {
      if (page.size() == pageSize) {
        next =
            Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Long.toString(b.sequence).getBytes(StandardCharsets.UTF_8));
        break;
      }
      page.add(b);
    }
    return new Page(page, next);
  }

  /** The batch as a long-running operation, in the REST shape the SDK parses. */
  ObjectNode toOperation(Batch b) {
    Instant now = now();
    ObjectNode op = json.createObjectNode();
    op.put("name", b.name);
    ObjectNode meta = op.putObject("metadata");
    meta.put("@type", BATCH_TYPE);
    meta.put("model", "models/" + b.model);
    if (b.displayName != null) {
      meta.put("displayName", b.displayName);
    }
    synchronized (b) {
      State state = b.state(now);
      Instant end = end(b, state);
      meta.put("createTime", b.created.toString());
      meta.put("updateTime", (end != null ? end : updated(b, state)).toString());
      if (end != null) {
        meta.put("endTime", end.toString());
      }
      ObjectNode batchStats = meta.putObject("batchStats");
      // int64 fields travel as strings in Google's JSON; zero counts are left out.
      batchStats.put("requestCount", Long.toString(b.items.size()));
      if (!state.terminal()) {
        batchStats.put("pendingRequestCount", Long.toString(b.items.size()));
      }
      if (state == State.SUCCEEDED) {
        if (b.succeeded > 0) {
          batchStats.put("successfulRequestCount", Long.toString(b.succeeded));
        }
        if (b.failed > 0) {
          batchStats.put("failedRequestCount", Long.toString(b.failed));
        }
      }
      meta.put("state", state.api());
      meta.put("name", b.name);
      if (state == State.SUCCEEDED) {
        ObjectNode output = output(b);
        meta.set("output", output);
        op.put("done", true);
        ObjectNode response = op.putObject("response");
        response.put("@type", OUTPUT_TYPE);
        // Google sends the output twice: in the metadata (the SDK reads it there) and as the
        // operation's response.
        response.setAll(output);
      } else if (state.terminal()) {
        op.put("done", true);
        ObjectNode error = op.putObject("error");
        switch (state) {
          case FAILED -> error.put("code", 13).put("message", "The batch failed.");
          case EXPIRED ->
              error
                  .put("code", 4)
                  .put("message", "The batch expired before it could be processed.");
          default -> error.put("code", 1).put("message", "The batch was cancelled.");
        }
      }
    }
    return op;
  }

  private ObjectNode output(Batch b) {
    ObjectNode output = json.createObjectNode();
    if (b.fromFile) {
      output.put("responsesFile", b.responsesFile);
    } else {
      ArrayNode list = output.putObject("inlinedResponses").putArray("inlinedResponses");
      for (ObjectNode r : b.results) {
        list.add(r);
      }
    }
    return output;
  }

  private static Instant end(Batch b, State state) {
    return switch (state) {
      case PENDING, RUNNING -> null;
      case CANCELLED -> b.cancelled;
      case SUCCEEDED -> b.completed.isAfter(b.due) ? b.completed : b.due;
      default -> b.due;
    };
  }

  private static Instant updated(Batch b, State state) {
    return state == State.PENDING
        ? b.created
        : b.created.plus(Duration.between(b.created, b.due).dividedBy(2));
  }
}
