package io.editstream.processor.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.genai.Client;
import com.google.genai.JsonSerializable;
import com.google.genai.errors.ApiException;
import com.google.genai.types.BatchJob;
import com.google.genai.types.BatchJobDestination;
import com.google.genai.types.BatchJobSource;
import com.google.genai.types.CreateBatchJobConfig;
import com.google.genai.types.GenerateContentResponse;
import com.google.genai.types.InlinedRequest;
import com.google.genai.types.InlinedResponse;
import com.google.genai.types.JobError;
import com.google.genai.types.JobState;
import com.google.genai.types.ListBatchJobsConfig;
import com.google.genai.types.UploadFileConfig;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.schema.FailureCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Gemini Batch API through the official SDK: submit keyed edits as one batch, poll it, cancel
 * it. Small batches go inline; a batch whose requests exceed {@code inlineMaxBytes} goes as a JSONL
 * file through the Files API. Every answer inside a finished batch becomes an {@link Outcome}
 * exactly as an online answer does ({@link GeminiModelClient#outcomeOf}, {@link
 * GeminiModelClient#failureOf}).
 *
 * <p>Callers may rely on: {@link #submit} creates at most one batch per call and never retries (a
 * batch is billed), and reports every refusal or fault as an {@link Outcome.Failure} rather than
 * throwing; {@link #poll} and {@link #cancel} are safe to repeat. Blocking; thread-safe.
 */
public final class BatchClient implements BatchService, AutoCloseable {

  /** The key under which each request's answer comes back, in its metadata or JSONL line. */
  static final String KEY = "key";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Client client;
  private final String secret;
  private final String provider;
  private final long inlineMaxBytes;

  /** One edit of a batch and the key its outcome comes back under (unique within the batch). */
  public record KeyedRequest(String key, ModelRequest request) {
    public KeyedRequest {
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("key: each request of a batch needs a non-blank key");
      }
    }
  }

  /** A batch's state, as the SDK reports Google's {@code BATCH_STATE_*}. */
  public enum State {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    EXPIRED;

    /** Whether the batch has ended: nothing about it changes any more. */
    public boolean terminal() {
      return this != PENDING && this != RUNNING;
    }
  }

  /** What {@link #submit} came to: the batch's name, or why there is none. */
  public sealed interface Submission {
    /** The batch exists; {@code viaFile} when its requests went as a JSONL file. */
    record Accepted(String batchName, boolean viaFile) implements Submission {}

    /** No batch was created (quota, bad request, outage). */
    record Refused(Outcome.Failure failure) implements Submission {}
  }

  /**
   * What {@link #poll} came to. {@code outcomes} (by key, in request order) is filled only when the
   * batch {@link State#SUCCEEDED}; {@code failure} is set, and {@code state} null, when the batch
   * could not be read.
   */
  public record Poll(State state, Map<String, Outcome> outcomes, Outcome.Failure failure) {
    public Poll {
      outcomes = Map.copyOf(outcomes);
    }

    static Poll of(State state, Map<String, Outcome> outcomes) {
      return new Poll(state, outcomes, null);
    }

    static Poll unreadable(Outcome.Failure failure) {
      return new Poll(null, Map.of(), failure);
    }
  }

  /**
   * A client over the Gemini API door's SDK settings (one attempt per call, send-once HTTP).
   *
   * @param inlineMaxBytes requests larger than this in total (their JSON) go by file; Google caps
   *     an inline batch at 20 MB
   */
  public BatchClient(GeminiModelClient.Settings settings, long inlineMaxBytes) {
    this(GeminiModelClient.sdkClient(settings), settings.apiKey(), "ai-studio", inlineMaxBytes);
  }

  BatchClient(Client client, String secret, String provider, long inlineMaxBytes) {
    if (inlineMaxBytes < 0) {
      throw new IllegalArgumentException("inlineMaxBytes must be >= 0, was " + inlineMaxBytes);
    }
    this.client = client;
    this.secret = secret;
    this.provider = provider;
    this.inlineMaxBytes = inlineMaxBytes;
  }

  /**
   * Creates one batch of these requests for {@code model}. Multi-step requests cannot be batched
   * (each step needs the previous answer).
   *
   * @throws IllegalArgumentException if {@code requests} is empty, repeats a key or has steps
   */
  @Override
  public Submission submit(String model, String displayName, List<KeyedRequest> requests) {
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("requests: a batch needs at least one request");
    }
    Set<String> keys = new HashSet<>();
    List<InlinedRequest> inline = new ArrayList<>(requests.size());
    long bytes = 0;
    for (KeyedRequest r : requests) {
      if (!keys.add(r.key())) {
        throw new IllegalArgumentException("key: '" + r.key() + "' appears twice in one batch");
      }
      if (!r.request().steps().isEmpty()) {
        throw new IllegalArgumentException(
            "steps: request '" + r.key() + "' has follow-up steps; the batch lane takes one step");
      }
      InlinedRequest request =
          InlinedRequest.builder()
              .contents(GeminiModelClient.firstTurn(r.request()))
              .config(GeminiModelClient.config(r.request()))
              .metadata(Map.of(KEY, r.key()))
              .build();
      inline.add(request);
      bytes += request.toJson().length();
    }
    CreateBatchJobConfig config = CreateBatchJobConfig.builder().displayName(displayName).build();
    try {
      if (bytes <= inlineMaxBytes) {
        BatchJob job =
            client.batches.create(
                model, BatchJobSource.builder().inlinedRequests(inline).build(), config);
        return new Submission.Accepted(job.name().orElseThrow(), false);
      }
      String file =
          client
              .files
              .upload(
                  jsonl(requests, inline),
                  UploadFileConfig.builder()
                      .mimeType("application/jsonl")
                      .displayName(displayName)
                      .build())
              .name()
              .orElseThrow();
      BatchJob job =
          client.batches.create(model, BatchJobSource.builder().fileName(file).build(), config);
      return new Submission.Accepted(job.name().orElseThrow(), true);
    } catch (RuntimeException e) {
      return new Submission.Refused(GeminiModelClient.failureOf(e, secret));
    }
  }

  /**
   * JSONL lines {@code {"key", "request": GenerateContentRequest}}, as the Batch API reads them.
   */
  private static byte[] jsonl(List<KeyedRequest> requests, List<InlinedRequest> inline) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < requests.size(); i++) {
      InlinedRequest r = inline.get(i);
      ObjectNode request = JSON.createObjectNode();
      request.set("contents", JsonSerializable.toJsonNode(r.contents().orElseThrow()));
      // The SDK's config holds exactly the generationConfig fields the online door sends.
      request.set("generationConfig", JsonSerializable.toJsonNode(r.config().orElseThrow()));
      ObjectNode line = JSON.createObjectNode();
      line.put(KEY, requests.get(i).key());
      line.set("request", request);
      out.append(line).append('\n');
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The batch's state and, once it succeeded, every request's outcome by key. */
  public Poll poll(String batchName) {
    return poll(batchName, List.of());
  }

  /**
   * As {@link #poll(String)}, with the batch's keys in the order they were submitted: when the
   * service answers inline responses without their metadata (as it has been seen to,
   * googleapis/python-genai#2008), and only when none carries a key and their count matches, the
   * answers are matched by position, the order the reference documents. Keys that cannot be matched
   * are absent from the outcomes.
   */
  @Override
  public Poll poll(String batchName, List<String> keysInOrder) {
    BatchJob job;
    try {
      job = client.batches.get(batchName, null);
    } catch (RuntimeException e) {
      return Poll.unreadable(GeminiModelClient.failureOf(e, secret));
    }
    State state = state(job);
    if (state != State.SUCCEEDED) {
      return Poll.of(state, Map.of());
    }
    BatchJobDestination dest = job.dest().orElse(null);
    if (dest == null) {
      return Poll.unreadable(
          Outcome.Failure.permanent(
              FailureCode.MODEL_BAD_RESPONSE, null, null, batchName + " succeeded without output"));
    }
    try {
      return Poll.of(
          state, dest.fileName().isPresent() ? fromFile(dest) : inline(dest, keysInOrder));
    } catch (RuntimeException e) {
      return Poll.unreadable(GeminiModelClient.failureOf(e, secret));
    }
  }

  private Map<String, Outcome> inline(BatchJobDestination dest, List<String> keysInOrder) {
    List<InlinedResponse> responses = dest.inlinedResponses().orElse(List.of());
    boolean noneKeyed =
        responses.stream().noneMatch(r -> r.metadata().map(m -> m.get(KEY)).isPresent());
    boolean byPosition = noneKeyed && responses.size() == keysInOrder.size();
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    for (int i = 0; i < responses.size(); i++) {
      InlinedResponse r = responses.get(i);
      String key = byPosition ? keysInOrder.get(i) : r.metadata().map(m -> m.get(KEY)).orElse(null);
      if (key != null) {
        outcomes.put(key, outcome(r.response(), r.error()));
      }
    }
    return outcomes;
  }

  private Map<String, Outcome> fromFile(BatchJobDestination dest) {
    Path file = null;
    try {
      // The SDK downloads to a path only.
      file = Files.createTempFile("editstream-batch-", ".jsonl");
      client.files.download(dest.fileName().orElseThrow(), file.toString(), null);
      Map<String, Outcome> outcomes = new LinkedHashMap<>();
      for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (text.isBlank()) {
          continue;
        }
        JsonNode line = JSON.readTree(text);
        if (!line.hasNonNull(KEY)) {
          continue;
        }
        Optional<GenerateContentResponse> response =
            line.has("response")
                ? Optional.of(GenerateContentResponse.fromJson(line.get("response").toString()))
                : Optional.empty();
        Optional<JobError> error =
            line.has("error")
                ? Optional.of(JobError.fromJson(line.get("error").toString()))
                : Optional.empty();
        outcomes.put(line.get(KEY).asText(), outcome(response, error));
      }
      return outcomes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // A temporary file left behind is harmless.
        }
      }
    }
  }

  private Outcome outcome(Optional<GenerateContentResponse> response, Optional<JobError> error) {
    if (response.isPresent()) {
      return GeminiModelClient.outcomeOf(response.get(), provider);
    }
    JobError e = error.orElse(JobError.builder().code(500).message("no answer").build());
    // The API's error for one request, mapped like the same error online.
    ApiException api =
        new ApiException(e.code().orElse(500), "BATCH_REQUEST_ERROR", e.message().orElse(""));
    return GeminiModelClient.failureOf(api, secret).answeredBy(provider);
  }

  /**
   * Lists the batches (every page, newest first) for one whose display name is {@code displayName};
   * the newest if several.
   */
  @Override
  public Optional<String> find(String displayName) {
    for (BatchJob job : client.batches.list(ListBatchJobsConfig.builder().pageSize(100).build())) {
      if (displayName.equals(job.displayName().orElse(null))) {
        return job.name();
      }
    }
    return Optional.empty();
  }

  /**
   * Cancels the batch; cancelling an ended batch changes nothing.
   *
   * @return the failure if the cancel could not be sent, else empty
   */
  @Override
  public Optional<Outcome.Failure> cancel(String batchName) {
    try {
      client.batches.cancel(batchName, null);
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of(GeminiModelClient.failureOf(e, secret));
    }
  }

  private static State state(BatchJob job) {
    JobState.Known known =
        job.state().map(JobState::knownEnum).orElse(JobState.Known.JOB_STATE_UNSPECIFIED);
    return switch (known) {
      case JOB_STATE_SUCCEEDED -> State.SUCCEEDED;
      case JOB_STATE_FAILED -> State.FAILED;
      case JOB_STATE_CANCELLED -> State.CANCELLED;
      case JOB_STATE_EXPIRED -> State.EXPIRED;
      case JOB_STATE_RUNNING -> State.RUNNING;
      default -> State.PENDING;
    };
  }

  @Override
  public void close() {
    client.close();
  }
}
