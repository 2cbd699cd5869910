package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.PresignedReader;
import io.editstream.processor.testsupport.PresignedReader.Entry;
import io.editstream.processor.testsupport.PresignedReader.Status;
import io.editstream.processor.testsupport.ProcessorJvm;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts and a downstream reader on a third (issue 15): two processor JVMs of one application
 * with separate state and blob directories (no shared disk) write finished images to one S3 bucket;
 * a reader in a third JVM, with neither credentials nor an AWS SDK, reads every result's image by
 * its presigned URL. Duplicates are sent so that the instance that did not write an image answers
 * them from the compacted cache index, and those answers must read too.
 *
 * <p>Phases: (1) instance a alone answers the originals, so a wrote every one of their images; (2)
 * b joins, both answer repeats of the originals and new edits; (3) a stops, b alone answers repeats
 * of everything — each repeat of a phase-1 original is a hit b serves for an image only a wrote.
 */
@ExtendWith(RealInfra.class)
class MultiHostS3Test {

  private static final Pattern HITS =
      Pattern.compile(
          "^editstream_jobs_outcome_total\\{(?=[^}]*cache_hit=\"true\")(?=[^}]*outcome=\"OK\")[^}]*\\}"
              + " (\\S+)$",
          Pattern.MULTILINE);
  private static final Pattern ASSIGNED =
      Pattern.compile(
          "^kafka_consumer_coordinator_assigned_partitions\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE);
  private static final Duration PHASE = Duration.ofSeconds(60);

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldServeEveryImageByPresignedUrlAcrossInstancesWithNoSharedDisk(
      S3Server s3, @TempDir Path work) throws Exception {
    String bucket = TestTopics.unique("multihost").toLowerCase(Locale.ROOT);
    s3.createBucket(bucket);
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    List<ProcessorJvm> started = new ArrayList<>();
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withApiKey(Pipeline.API_KEY).withLatencyMeanMs(50));
        Pipeline pipeline = new Pipeline(4)) {
      Map<String, String> common = pipeline.settings(emulator.baseUrl(), work);
      common.putAll(s3.blobSettings(bucket));
      common.put("blob.s3.prefix", "multihost/");
      common.put("blob.s3.presign.ttl", "15m");
      common.put("output.inline.max.bytes", "1024"); // every image goes by reference
      // b takes a's partitions soon after a stops (the broker's minimum session is 6 s).
      common.put("kafka.session.timeout.ms", "6000");
      common.put("kafka.heartbeat.interval.ms", "1000");

      // Phase 1: a alone. 10 originals, 2 of them sent twice in the same batch.
      ProcessorJvm a = start(common, work.resolve("host-a"), "instance-a", started);
      List<String> phase1 = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        phase1.add(send(pipeline, "orig-" + i, original(i), rocket));
      }
      for (int i = 0; i < 2; i++) {
        phase1.add(send(pipeline, "orig-again-" + i, original(i), rocket));
      }
      awaitAnswered(pipeline, phase1, a);
      long aHitsPhase1 = hits(a);

      // Phase 2: b joins; repeats of all originals and 6 new edits, spread over both.
      ProcessorJvm b = start(common, work.resolve("host-b"), "instance-b", started);
      boolean bHasPartitions =
          pipeline.readUntil(() -> assignedPartitions(b) > 0 && healthy(a), PHASE);
      List<String> phase2 = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        phase2.add(send(pipeline, "repeat-" + i, original(i), rocket));
      }
      for (int i = 0; i < 6; i++) {
        phase2.add(send(pipeline, "new-" + i, fresh(i), rocket));
      }
      awaitAnswered(pipeline, phase2, b);
      long aHitsPhase2 = hits(a) - aHitsPhase1;
      long bHitsPhase2 = hits(b);

      // Phase 3: a stops; b alone answers repeats of the new edits and of 6 originals.
      a.close();
      List<String> phase3 = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        phase3.add(send(pipeline, "new-again-" + i, fresh(i), rocket));
      }
      for (int i = 0; i < 6; i++) {
        phase3.add(send(pipeline, "orig-third-" + i, original(i), rocket));
      }
      awaitAnswered(pipeline, phase3, b);
      long bHitsPhase3 = hits(b) - bHitsPhase2;
      b.close();
      assertThat(pipeline.readToCommittedEnd(Duration.ofSeconds(30))).isTrue();

      List<String> all = new ArrayList<>(phase1);
      all.addAll(phase2);
      all.addAll(phase3);
      List<String> lost = all.stream().filter(id -> !pipeline.answered(id)).toList();
      assertThat(lost).as("jobs lost").isEmpty();
      assertThat(pipeline.doubled).as("jobs answered twice").isEmpty();
      assertThat(pipeline.failures).as("failures").isEmpty();
      assertThat(pipeline.dlq).isEmpty();
      assertThat(pipeline.results).hasSize(40);

      // Every image by reference, each with a presigned URL; a repeat names its original's object.
      Map<String, String> uriByInstruction = new HashMap<>();
      List<Entry> entries = new ArrayList<>();
      for (EditResult r : pipeline.results.values()) {
        assertThat(r.getImages()).as(r.getJobId()).hasSize(1);
        OutputImage image = r.getImages().get(0);
        assertThat(image.getData()).as("%s inlined", r.getJobId()).isNull();
        assertThat(image.getUri()).startsWith("s3://" + bucket + "/multihost/");
        assertThat(image.getPresignedUrl()).as("%s presigned", r.getJobId()).isNotNull();
        String instruction = instructionOf(r.getJobId());
        assertThat(uriByInstruction.computeIfAbsent(instruction, k -> image.getUri()))
            .as("%s: the same edit, the same object", r.getJobId())
            .isEqualTo(image.getUri());
        entries.add(new Entry(r.getJobId(), image.getPresignedUrl(), image.getSha256()));
      }
      long hitResults = pipeline.results.values().stream().filter(EditResult::getCacheHit).count();
      // The phase-3 repeats of originals: b answered them, a wrote their images in phase 1.
      List<String> acrossForSure = phase3.stream().filter(id -> id.startsWith("orig-")).toList();
      acrossForSure.forEach(
          id -> assertThat(pipeline.results.get(id).getCacheHit()).as(id + " hit").isTrue());

      // Controls: the reader must be able to say no.
      Entry any = entries.get(0);
      entries.add(new Entry("control-wrong-sha", any.presignedUrl(), "0".repeat(64)));
      entries.add(new Entry("control-bad-signature", tamper(any.presignedUrl()), any.sha256()));
      PresignedReader.Summary read =
          PresignedReader.runInOwnJvm(entries, work.resolve("reader"), Duration.ofSeconds(60));

      System.out.printf(
          "multi-host s3: %d jobs, %d results (%d cache hits), model calls %d; cache hits by"
              + " instance: a %d (phase 1) + %d (phase 2), b %d (phase 2, all across instances,"
              + " partitions assigned before phase 2: %s) + %d (phase 3, %d of them surely across);"
              + " presigned reads: %d readable, %d unreadable, %d sha mismatches (2 controls"
              + " included); lost %d, doubled %d%n",
          all.size(),
          pipeline.results.size(),
          hitResults,
          emulator.stats().requests(),
          aHitsPhase1,
          aHitsPhase2,
          bHitsPhase2,
          bHasPartitions,
          bHitsPhase3,
          acrossForSure.size(),
          read.count(Status.READABLE),
          read.count(Status.UNREADABLE),
          read.count(Status.SHA_MISMATCH),
          lost.size(),
          pipeline.doubled.size());

      assertThat(read.byId()).containsEntry("control-wrong-sha", Status.SHA_MISMATCH);
      assertThat(read.byId()).containsEntry("control-bad-signature", Status.UNREADABLE);
      Map<String, Status> real = new HashMap<>(read.byId());
      real.keySet().removeIf(id -> id.startsWith("control-"));
      assertThat(real).hasSize(40);
      assertThat(real.entrySet())
          .as("every image reads by its presigned URL with the right SHA-256: %s", read.details())
          .allMatch(e -> e.getValue() == Status.READABLE);
      // 16 distinct edits, so 24 answers from the cache; b answered all of phase 3 from it.
      assertThat(hitResults).isEqualTo(24);
      assertThat(bHitsPhase3).as("b's cache hits in phase 3").isEqualTo(12);
      assertThat(bHitsPhase2 + acrossForSure.size())
          .as("hits served by the instance that did not write the image")
          .isGreaterThanOrEqualTo(6);
    } finally {
      for (ProcessorJvm p : started) {
        p.close();
      }
    }
  }

  private static String original(int i) {
    return "remove the background, original " + i;
  }

  private static String fresh(int i) {
    return "add a drop shadow, new edit " + i;
  }

  /** The edit a job id stands for (ids are {@code <kind>-<n>} as sent below). */
  private static String instructionOf(String jobId) {
    int n = Integer.parseInt(jobId.substring(jobId.lastIndexOf('-') + 1));
    return jobId.startsWith("new-") ? fresh(n) : original(n);
  }

  private static String send(Pipeline pipeline, String id, String instruction, byte[] image) {
    pipeline.send(job(id, instruction, image));
    return id;
  }

  private static void awaitAnswered(Pipeline pipeline, List<String> ids, ProcessorJvm running) {
    pipeline.flush();
    boolean done =
        pipeline.readUntil(
            () -> ids.stream().allMatch(pipeline::answered) || !running.isAlive(), PHASE);
    assertThat(done && running.isAlive())
        .as(
            "%s answered (%s alive: %s); log tail:%n%s",
            ids, running.name, running.isAlive(), running.logTail(40))
        .isTrue();
  }

  private static ProcessorJvm start(
      Map<String, String> common, Path host, String name, List<ProcessorJvm> started)
      throws IOException {
    Map<String, String> settings = new HashMap<>(common);
    // Its own disk: nothing under one host's directory is visible to the other.
    settings.put("state.dir", host.resolve("state").toString());
    settings.put("blob.dir", host.resolve("blobs").toString());
    settings.put("http.port", Integer.toString(freePort()));
    ProcessorJvm jvm = new ProcessorJvm(settings, host, name);
    started.add(jvm);
    return jvm;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The same URL with its signature's last hex digit changed. */
  private static String tamper(String presignedUrl) {
    Matcher m = Pattern.compile("(X-Amz-Signature=[0-9a-f]*)([0-9a-f])").matcher(presignedUrl);
    assertThat(m.find()).as("a SigV4 presigned URL: %s", presignedUrl).isTrue();
    String last = m.group(2).equals("0") ? "1" : "0";
    return presignedUrl.substring(0, m.start(2)) + last + presignedUrl.substring(m.end(2));
  }

  private long hits(ProcessorJvm jvm) {
    return (long) sum(HITS, scrape(jvm, "/metrics"));
  }

  private long assignedPartitions(ProcessorJvm jvm) {
    return (long) sum(ASSIGNED, scrape(jvm, "/metrics"));
  }

  private boolean healthy(ProcessorJvm jvm) {
    return !scrape(jvm, "/health").isEmpty();
  }

  private static double sum(Pattern metric, String scrape) {
    double total = 0;
    Matcher m = metric.matcher(scrape);
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  /** The body of a 200 answer, or empty (not up yet, or not healthy). */
  private String scrape(ProcessorJvm jvm, String path) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jvm.httpPort + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
