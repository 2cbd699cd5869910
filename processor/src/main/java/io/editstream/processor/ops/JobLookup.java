package io.editstream.processor.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.topology.EditstreamTopology;
import io.editstream.processor.topology.JobDirectory;
import io.editstream.processor.topology.LiveJob;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers "where is job X?" from any instance (DESIGN.md §14). A job lives in the task of its
 * jobId's partition: the instance that owns the task answers from its {@link JobDirectory} (pending
 * jobs and their state) or its completed-jobs store (finished jobs; the outcome record is then
 * found in the outcome topics); any other instance forwards the question to that owner, found
 * through Kafka Streams' metadata ({@code application.server}). While partitions move, or when the
 * owner does not answer, the answer is {@code 503} with state {@code MOVING}: ask again.
 *
 * <p>Answers are JSON. Callers may rely on {@code state} being one of {@code ACCEPTED}, {@code
 * WAITING_FOR_QUOTA}, {@code IN_FLIGHT}, {@code BACKING_OFF}, {@code HELD} (its tenant is held
 * after safety strikes), {@code IN_BATCH} (its request is in a batch of the batch lane), {@code
 * FINISHING} (its outcome is being committed), {@code SUCCEEDED}, {@code FAILED}, {@code DONE}
 * (finished; its outcome record is gone with the topic's retention), {@code UNKNOWN} (404) and
 * {@code MOVING} (503), and on {@code answeredBy} naming the instance (host:port) that holds the
 * job.
 */
public final class JobLookup implements AutoCloseable {

  /** An HTTP answer: status and JSON body. */
  public record Answer(int status, String json) {}

  private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);

  /** Up to this long after it finished, a job whose outcome record is not visible is FINISHING. */
  private static final Duration COMMITTING = Duration.ofSeconds(30);

  private final Clock clock;
  private final Supplier<KafkaStreams> streams;
  private final HostInfo self;
  private final JobDirectory jobs;
  private final ProcessorConfig.Topics topics;
  private final OutcomeRecords outcomes;
  private final Deserializer<EditResult> results;
  private final Deserializer<EditFailure> failures;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final ObjectMapper mapper = new ObjectMapper();

  public JobLookup(
      Supplier<KafkaStreams> streams,
      HostInfo self,
      JobDirectory jobs,
      ProcessorConfig.Topics topics,
      Map<String, Object> kafka,
      Deserializer<EditResult> results,
      Deserializer<EditFailure> failures,
      Clock clock) {
    this.clock = clock;
    this.streams = streams;
    this.self = self;
    this.jobs = jobs;
    this.topics = topics;
    this.outcomes = new OutcomeRecords(kafka);
    this.results = results;
    this.failures = failures;
  }

  /** {@code GET /jobs/{jobId}}; {@code local} answers only from this instance (no forwarding). */
  public Answer job(String jobId, boolean local) {
    KafkaStreams ks = streams.get();
    if (ks == null || !ks.state().isRunningOrRebalancing()) {
      return moving(jobId, "this instance is " + (ks == null ? "starting" : ks.state()));
    }
    KeyQueryMetadata where;
    try {
      where =
          ks.queryMetadataForKey(
              EditstreamTopology.PENDING_STORE, jobId, Serdes.String().serializer());
    } catch (StreamsException | IllegalStateException e) {
      return moving(jobId, "partition metadata is not available: " + e.getMessage());
    }
    if (where == null
        || KeyQueryMetadata.NOT_AVAILABLE.equals(where)
        || where.activeHost() == null
        || HostInfo.unavailable().equals(where.activeHost())) {
      return moving(jobId, "the job's partition has no owner right now");
    }
    if (!self.equals(where.activeHost())) {
      if (local) {
        return moving(
            jobId, "partition " + where.partition() + " is owned by " + name(where.activeHost()));
      }
      return forward(where.activeHost(), "/jobs/" + encode(jobId) + "?local=true", jobId);
    }
    return ownJob(ks, jobId, where.partition());
  }

  /** {@code GET /jobs?sku=…&tenant=…}: the SKU's pending jobs on every instance. */
  public Answer bySku(String sku, String tenant, boolean local) {
    KafkaStreams ks = streams.get();
    if (ks == null || !ks.state().isRunningOrRebalancing()) {
      return moving(null, "this instance is " + (ks == null ? "starting" : ks.state()));
    }
    ObjectNode out = mapper.createObjectNode();
    out.put("sku", sku);
    if (tenant != null) {
      out.put("tenant", tenant);
    }
    ArrayNode list = out.putArray("jobs");
    jobs.bySku(sku, tenant).forEach(j -> list.add(live(j)));
    ArrayNode asked = out.putArray("instances");
    asked.add(name(self));
    ArrayNode unreachable = out.putArray("unreachable");
    if (!local) {
      String query =
          "/jobs?local=true&sku="
              + encode(sku)
              + (tenant == null ? "" : "&tenant=" + encode(tenant));
      for (StreamsMetadata m : otherInstances(ks)) {
        asked.add(name(m.hostInfo()));
        try {
          HttpResponse<String> r = get(m.hostInfo(), query);
          JsonNode body = mapper.readTree(r.body());
          if (r.statusCode() != 200 || !body.path("jobs").isArray()) {
            unreachable.add(name(m.hostInfo()) + " answered " + r.statusCode());
            continue;
          }
          body.path("jobs").forEach(list::add);
        } catch (IOException e) {
          unreachable.add(name(m.hostInfo()) + ": " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          unreachable.add(name(m.hostInfo()) + ": interrupted");
        }
      }
    }
    out.put("count", list.size());
    return new Answer(200, out.toString());
  }

  private List<StreamsMetadata> otherInstances(KafkaStreams ks) {
    List<StreamsMetadata> out = new ArrayList<>();
    for (StreamsMetadata m : ks.metadataForAllStreamsClients()) {
      if (!self.equals(m.hostInfo()) && !HostInfo.unavailable().equals(m.hostInfo())) {
        out.add(m);
      }
    }
    return out;
  }

  private Answer ownJob(KafkaStreams ks, String jobId, int partition) {
    Optional<LiveJob> pending = jobs.find(jobId);
    if (pending.isPresent()) {
      return new Answer(200, live(pending.get()).toString());
    }
    Long completedAt;
    try {
      ReadOnlyKeyValueStore<String, Long> completed =
          ks.store(
              StoreQueryParameters.fromNameAndType(
                      EditstreamTopology.COMPLETED_STORE,
                      QueryableStoreTypes.<String, Long>keyValueStore())
                  .withPartition(partition));
      completedAt = completed.get(jobId);
    } catch (InvalidStateStoreException e) {
      return moving(jobId, "the job's task is being restored or moved: " + e.getMessage());
    }
    if (completedAt != null) {
      return new Answer(200, finished(jobId, completedAt).toString());
    }
    ObjectNode out = mapper.createObjectNode();
    out.put("jobId", jobId);
    out.put("state", "UNKNOWN");
    out.put("answeredBy", name(self));
    out.put(
        "message",
        "no such job: not received yet (is it still in "
            + topics.jobs()
            + "?), never submitted, or finished more than 7 days ago");
    return new Answer(404, out.toString());
  }

  private ObjectNode finished(String jobId, long completedAtMs) {
    ObjectNode out = mapper.createObjectNode();
    out.put("jobId", jobId);
    out.put("completedAt", Instant.ofEpochMilli(completedAtMs).toString());
    out.put("answeredBy", name(self));
    Optional<OutcomeRecords.Found> found = outcomes.find(topics.results(), jobId, completedAtMs);
    boolean result = found.isPresent();
    if (found.isEmpty()) {
      found = outcomes.find(topics.failures(), jobId, completedAtMs);
    }
    if (found.isEmpty() && clock.millis() - completedAtMs < COMMITTING.toMillis()) {
      // The store saw the outcome before its transaction committed (interactive queries read
      // uncommitted state); the record becomes visible with the commit, within a second or so.
      out.put("state", "FINISHING");
      out.put("retry", true);
      out.put("message", "the outcome is being committed; ask again in a moment");
      return out;
    }
    if (found.isEmpty()) {
      out.put("state", "DONE");
      out.put(
          "message",
          "finished, but its outcome record was not found in "
              + topics.results()
              + " or "
              + topics.failures()
              + " (not committed yet, or removed by the topic's retention)");
      return out;
    }
    OutcomeRecords.Found f = found.get();
    ObjectNode record = out.putObject("record");
    record.put("topic", f.topic());
    record.put("partition", f.partition());
    record.put("offset", f.offset());
    record.put("timestamp", Instant.ofEpochMilli(f.timestampMs()).toString());
    ObjectNode outcome = out.putObject("outcome");
    if (result) {
      EditResult r = results.deserialize(f.topic(), f.value());
      out.put("state", "SUCCEEDED");
      outcome.put("tenant", r.getTenant());
      outcome.put("sku", r.getSku());
      outcome.put("model", r.getModel());
      outcome.put("provider", r.getProvider());
      outcome.put("cacheHit", r.getCacheHit());
      outcome.put("attempts", r.getAttempts());
      if (r.getEstimatedCostUsd() != null) {
        outcome.put("estimatedCostUsd", r.getEstimatedCostUsd());
      }
      ArrayNode images = outcome.putArray("images");
      for (OutputImage image : r.getImages()) {
        ObjectNode i = images.addObject();
        i.put("uri", image.getUri());
        i.put("mimeType", image.getMimeType());
        i.put("width", image.getWidth());
        i.put("height", image.getHeight());
        i.put("sizeBytes", image.getSizeBytes());
      }
    } else {
      EditFailure e = failures.deserialize(f.topic(), f.value());
      out.put("state", "FAILED");
      outcome.put("tenant", e.getTenant());
      outcome.put("sku", e.getSku());
      outcome.put("code", e.getCode().name());
      outcome.put("retryable", e.getRetryable());
      outcome.put("attempts", e.getAttempts());
      outcome.put("message", e.getMessage());
    }
    return out;
  }

  private ObjectNode live(LiveJob j) {
    ObjectNode out = mapper.createObjectNode();
    out.put("jobId", j.jobId());
    out.put("state", j.state().name());
    out.put("tenant", j.tenant());
    out.put("sku", j.sku());
    out.put("attempts", j.attempts());
    out.put("provider", j.provider());
    out.put("acceptedAt", Instant.ofEpochMilli(j.acceptedAtMs()).toString());
    out.put("since", Instant.ofEpochMilli(j.sinceMs()).toString());
    if (j.nextAttemptAtMs() > 0) {
      out.put("nextAttemptAt", Instant.ofEpochMilli(j.nextAttemptAtMs()).toString());
    }
    out.put("lastError", j.lastError());
    out.put("task", j.task());
    out.put("answeredBy", name(self));
    return out;
  }

  private Answer forward(HostInfo owner, String path, String jobId) {
    try {
      HttpResponse<String> r = get(owner, path);
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      return moving(jobId, "the job's owner " + name(owner) + " did not answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return moving(jobId, "interrupted while asking " + name(owner));
    }
  }

  private HttpResponse<String> get(HostInfo host, String path)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + name(host) + path))
            .timeout(FORWARD_TIMEOUT)
            .GET()
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private Answer moving(String jobId, String why) {
    ObjectNode out = mapper.createObjectNode();
    if (jobId != null) {
      out.put("jobId", jobId);
    }
    out.put("state", "MOVING");
    out.put("retry", true);
    out.put("message", why + "; ask again in a moment");
    out.put("answeredBy", name(self));
    return new Answer(503, out.toString());
  }

  private static String name(HostInfo h) {
    return h.host() + ":" + h.port();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public void close() {
    outcomes.close();
  }
}
