package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditJob;
import io.editstream.testkit.KafkaBroker;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Where is job X?" on three processors (DESIGN.md §14): a job is followed through its states by
 * asking an instance that does not own it, a finished job's outcome record is found by jobId, a
 * SKU's jobs in progress are listed from any instance, and while the owner leaves, every answer is
 * either the job or a "moving, retry" — never an error.
 */
@Tag("timing") // measures rates or time windows: runs alone (pom.xml, timing-tests)
class JobLookupEndToEndTest {
  private static final int PARTITIONS = 6;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldFollowAJobThroughItsStatesFromAnInstanceThatDoesNotOwnIt(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    List<EditstreamProcessor> running = new ArrayList<>();
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(50).withSeed(3));
        Pipeline pipeline = new Pipeline(PARTITIONS)) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      // Long enough to be seen: the backoff after the first (failed) call, and the second call.
      // The backoff has full jitter (a draw in [0, 2500] ms can be too short for a 100 ms poll
      // across instances to see), so the 503 carries a 2.5 s retryDelay, which is its floor.
      settings.put("retry.backoff.initial.ms", "2500");
      settings.put("retry.backoff.max.ms", "2500");
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      try {
        for (String name : List.of("a", "b", "c")) {
          running.add(start(settings, work, name));
        }
        assertThat(
                pipeline.readUntil(
                    () ->
                        running.stream().allMatch(p -> p.gate().ownedPartitions() > 0)
                            && running.stream().mapToInt(p -> p.gate().ownedPartitions()).sum()
                                == PARTITIONS,
                    Duration.ofSeconds(90)))
            .as("three instances share the partitions")
            .isTrue();

        // Keyed by SKU on input; two jobs of one SKU for the SKU listing, different jobIds.
        EditJob followed =
            job(
                "follow-1",
                "remove the background [emulator:fail-times=1:503] [emulator:retry-delay=2500]"
                    + " [emulator:slow=3000]",
                rocket);
        followed.setSku("SKU-FOLLOW");
        EditJob sibling = job("follow-2", "add a shadow [emulator:slow=6000]", rocket);
        sibling.setSku("SKU-FOLLOW");
        pipeline.send(followed);
        pipeline.send(sibling);
        EditJob refused = job("refused-1", "make it pop [emulator:fail=400]", rocket);
        pipeline.send(refused);
        pipeline.flush();

        // The owner, then an instance that is not the owner.
        JsonNode first = awaitState(running.get(0), "follow-1", pipeline);
        String owner = first.path("answeredBy").asText();
        EditstreamProcessor asked =
            running.stream().filter(p -> !address(p).equals(owner)).findFirst().orElseThrow();

        JsonNode sku = get(asked, "/jobs?sku=SKU-FOLLOW").body;
        assertThat(sku.path("instances")).hasSize(3);
        assertThat(sku.path("unreachable")).isEmpty();
        List<String> listed = new ArrayList<>();
        sku.path("jobs").forEach(j -> listed.add(j.path("jobId").asText()));
        assertThat(listed).as("the SKU's jobs in progress, from any instance").contains("follow-1");

        List<String> states = new ArrayList<>();
        JsonNode last = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
          Reply r = get(asked, "/jobs/follow-1");
          assertThat(r.status).as("answer %s", r.body).isIn(200, 503);
          if (r.status == 200) {
            assertThat(r.body.path("answeredBy").asText())
                .as("answered by the owner, not by the instance asked")
                .isEqualTo(owner)
                .isNotEqualTo(address(asked));
            String state = r.body.path("state").asText();
            if (states.isEmpty() || !states.get(states.size() - 1).equals(state)) {
              states.add(state);
            }
            last = r.body;
            if (state.equals("SUCCEEDED") || state.equals("FAILED")) {
              break;
            }
            if (state.equals("BACKING_OFF")) {
              assertThat(r.body.path("lastError").asText()).startsWith("MODEL_UNAVAILABLE");
              assertThat(r.body.path("nextAttemptAt").asText()).isNotEmpty();
              assertThat(r.body.path("attempts").asInt()).isEqualTo(1);
            }
          }
          pipeline.readUntil(() -> false, Duration.ofMillis(100));
        }
        System.out.println("follow-1 went through " + states);
        assertThat(states).as("states seen").contains("IN_FLIGHT", "BACKING_OFF", "SUCCEEDED");
        assertThat(states)
            .as("no state but these")
            .isSubsetOf(
                "ACCEPTED",
                "WAITING_FOR_QUOTA",
                "IN_FLIGHT",
                "BACKING_OFF",
                "FINISHING",
                "SUCCEEDED");
        // A call before the backoff (the first one, unless a stalled poll missed it) and after it.
        assertThat(states.lastIndexOf("IN_FLIGHT")).isGreaterThan(states.indexOf("BACKING_OFF"));
        assertThat(states.get(states.size() - 1)).isEqualTo("SUCCEEDED");
        assertThat(last.path("outcome").path("attempts").asInt()).isEqualTo(2);

        // The outcome record named by the answer is the job's result.
        JsonNode record = last.path("record");
        assertThat(record.path("topic").asText()).isEqualTo(pipeline.resultsTopic);
        ConsumerRecord<String, byte[]> at =
            readAt(
                pipeline,
                record.path("topic").asText(),
                record.path("partition").asInt(),
                record.path("offset").asLong());
        assertThat(at.key()).isEqualTo("follow-1");

        // A failure is found the same way, from every instance.
        for (EditstreamProcessor p : running) {
          JsonNode failed = awaitState(p, "refused-1", pipeline);
          while (!failed.path("state").asText().equals("FAILED")) {
            pipeline.readUntil(() -> false, Duration.ofMillis(200));
            failed = awaitState(p, "refused-1", pipeline);
          }
          assertThat(failed.path("outcome").path("code").asText())
              .isEqualTo("MODEL_INVALID_ARGUMENT");
          assertThat(failed.path("record").path("topic").asText())
              .isEqualTo(pipeline.failuresTopic);
        }
        Reply unknown = get(asked, "/jobs/never-submitted");
        assertThat(unknown.status).isEqualTo(404);
        assertThat(unknown.body.path("state").asText()).isEqualTo("UNKNOWN");

        // The owner leaves: the others answer "moving" until the job's task has moved, then
        // the job again; never a server error, never "unknown".
        EditstreamProcessor leaving =
            running.stream().filter(p -> address(p).equals(owner)).findFirst().orElseThrow();
        running.remove(leaving);
        leaving.close();
        EditstreamProcessor remaining = running.get(0);
        int moving = 0;
        JsonNode after = null;
        deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
          Reply r = get(remaining, "/jobs/follow-1");
          assertThat(r.status).as("answer %s", r.body).isIn(200, 503);
          if (r.status == 503) {
            assertThat(r.body.path("state").asText()).isEqualTo("MOVING");
            moving++;
          } else if (!r.body.path("answeredBy").asText().equals(owner)) {
            after = r.body;
            break;
          }
          pipeline.readUntil(() -> false, Duration.ofMillis(100));
        }
        System.out.println("answers 'moving' while the owner left: " + moving);
        assertThat(after).as("the job is found at its new owner").isNotNull();
        assertThat(after.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(after.path("record")).isEqualTo(last.path("record"));
        assertThat(pipeline.duplicateOutcomes).isZero();
      } finally {
        for (EditstreamProcessor p : running) {
          p.close();
        }
      }
    }
  }

  private record Reply(int status, JsonNode body) {}

  /** The first answer for the job that is not "moving" (the job may not be read yet). */
  private JsonNode awaitState(EditstreamProcessor p, String jobId, Pipeline pipeline)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Reply r = get(p, "/jobs/" + jobId);
    while (r.status != 200 && System.nanoTime() < deadline) {
      pipeline.readUntil(() -> false, Duration.ofMillis(100));
      r = get(p, "/jobs/" + jobId);
    }
    assertThat(r.status).as("answer for %s: %s", jobId, r.body).isEqualTo(200);
    return r.body;
  }

  private Reply get(EditstreamProcessor p, String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + address(p) + path))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), JSON.readTree(r.body()));
  }

  private static String address(EditstreamProcessor p) {
    return "127.0.0.1:" + p.httpPort();
  }

  private static ConsumerRecord<String, byte[]> readAt(
      Pipeline pipeline, String topic, int partition, long offset) {
    Properties props = new Properties();
    props.putAll(KafkaBroker.shared().settings(""));
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, partition);
      c.assign(List.of(tp));
      c.seek(tp, offset);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          return r;
        }
      }
    }
    throw new AssertionError("nothing at " + topic + "-" + partition + "@" + offset);
  }

  private static EditstreamProcessor start(Map<String, String> settings, Path work, String name)
      throws Exception {
    Map<String, String> own = new HashMap<>(settings);
    own.put("state.dir", work.resolve("state-" + name).toString());
    own.put("blob.dir", work.resolve("blobs-" + name).toString());
    return EditstreamProcessor.start(ProcessorConfig.from(Settings.of(own)));
  }
}
