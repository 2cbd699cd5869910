package io.editstream.bench.blob;

import io.editstream.bench.Bench;
import io.editstream.bench.BenchEnv;
import io.editstream.bench.Images;
import io.editstream.bench.OutcomeReader;
import io.editstream.bench.Report;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.TestTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue 15's benchmark: the same workload once with the local blob store and once with the S3 store
 * (S3Proxy from the test kit, or {@code EDITSTREAM_S3_ENDPOINT}), one instance each, in one run:
 * new images (every one stored by reference), then the same edits again as cache hits.
 */
@Command(
    name = "blob-stores",
    mixinStandardHelpOptions = true,
    description = "Results/s and end-to-end times with blob.store=local vs blob.store=s3.")
public final class BlobStoreBench implements Callable<Integer> {

  @Mixin Bench.Common common;

  @Option(
      names = "--jobs",
      description = "Unique jobs per store, then as many cache hits (default 1000; --quick 200).")
  Integer jobs;

  @Option(
      names = "--stores",
      split = ",",
      defaultValue = "local,s3",
      description = "Stores to run, in order (default ${DEFAULT-VALUE}).")
  List<String> stores;

  @Option(
      names = "--latency-ms",
      defaultValue = "50",
      description = "Emulator mean latency (default ${DEFAULT-VALUE}).")
  long latencyMs;

  @Option(
      names = "--in-flight",
      defaultValue = "128",
      description = "model.max.in.flight (default ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(
      names = "--warm-up",
      defaultValue = "200",
      description =
          "Distinct jobs per store before measuring, not counted (default ${DEFAULT-VALUE}): the"
              + " store that runs first otherwise pays for the JIT.")
  int warmUp;

  private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(10);

  @Override
  public Integer call() throws Exception {
    int n = jobs != null ? jobs : common.quick ? 200 : 1000;
    StringBuilder cmd =
        new StringBuilder("java -jar bench/target/editstream-bench.jar blob-stores");
    if (common.quick) {
      cmd.append(" --quick");
    }
    if (jobs != null) {
      cmd.append(" --jobs ").append(jobs);
    }
    if (!stores.equals(List.of("local", "s3"))) {
      cmd.append(" --stores ").append(String.join(",", stores));
    }
    if (latencyMs != 50) {
      cmd.append(" --latency-ms ").append(latencyMs);
    }
    if (inFlight != 128) {
      cmd.append(" --in-flight ").append(inFlight);
    }
    if (warmUp != 200) {
      cmd.append(" --warm-up ").append(warmUp);
    }
    Report report =
        new Report(
            "blob-stores",
            "Blob stores: local directory vs S3 (S3Proxy), one instance (issue 15)",
            cmd.toString());

    BenchEnv env = BenchEnv.start();
    List<StoreRun> runs = new ArrayList<>();
    String s3Description = null;
    try (Emulator emulator =
        Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(latencyMs).withSeed(15))) {
      byte[] image = Images.gradientPng(64, 15);
      for (String store : stores) {
        S3Server s3 = store.equals("s3") ? S3Server.shared() : null;
        if (s3 != null) {
          s3Description = s3.description();
        }
        runs.add(runStore(env, emulator, store, s3, image, n, warmUp));
      }
      report.fact(
          "Workload per store: "
              + warmUp
              + " warm-up jobs (not counted), then "
              + n
              + " distinct edits (one "
              + image.length
              + " B inline PNG, a unique instruction each, 512 px PNG output) produced at once,"
              + " then the same "
              + n
              + " edits again under new jobIds (cache hits). Emulator mean latency "
              + latencyMs
              + " ms, no quota, no faults.");
      report.fact(
          "Processor: 1 instance in this JVM, stream.threads=1, model.max.in.flight="
              + inFlight
              + ", output.inline.max.bytes=0 (every image by reference), exactly_once_v2; a fresh"
              + " application and topics per store. blob.store=s3: one bucket, presign TTL 15m"
              + " (a presigned URL signed for every result, hits included)"
              + (s3Description == null ? "" : ", " + s3Description)
              + ".");
    } finally {
      env.deleteWork();
    }
    report.table(BlobStoreTable.header(runs), BlobStoreTable.rows(runs));
    report.note(
        "End to end = the job's send by the load generator to its result being visible to a"
            + " read_committed reader; all jobs of a phase are sent at once, so the times include"
            + " the wait in the backlog.");
    report.note(
        "The store that runs second finds a warmer JVM (JIT, the emulator's renderer), and other"
            + " builds share the machine: compare a run with --stores in the other order before"
            + " reading a difference between the columns as the store's.");
    report.note(
        "Stores run one after the other in one JVM, on the same broker, registry and emulator;"
            + " S3Proxy (a child process over a local directory) shares the 2 cores.");
    report.print(System.out);
    if (!common.noDoc) {
      report.writeTo(common.doc);
      System.out.println("Wrote the section 'blob-stores' of " + common.doc.toAbsolutePath());
    }
    return 0;
  }

  private static StoreRun runStore(
      BenchEnv env, Emulator emulator, String store, S3Server s3, byte[] image, int n, int warmUp)
      throws Exception {
    String prefix = env.newPrefix("blob-" + store);
    Map<String, String> settings = env.processorSettings(prefix, emulator.baseUrl());
    Path blobDir = env.work.resolve(prefix + "blobs");
    settings.put("blob.dir", blobDir.toString());
    settings.put("stream.threads", "1");
    settings.put("output.inline.max.bytes", "0");
    String bucket = null;
    String keyPrefix = "bench/";
    if (s3 != null) {
      bucket = TestTopics.unique("bench-blobs").toLowerCase(Locale.ROOT);
      s3.createBucket(bucket);
      settings.putAll(s3.blobSettings(bucket));
      settings.put("blob.s3.prefix", keyPrefix);
      settings.put("blob.s3.presign.ttl", "15m");
    } else {
      settings.put("blob.store", store);
    }
    ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
    env.broker.createTopic(config.topics().jobs(), config.topics().partitions());
    String jobsTopic = config.topics().jobs();
    System.out.printf("== blob.store=%s: %d new images, then %d cache hits%n", store, n, n);
    try (OutcomeReader reader = new OutcomeReader(env, prefix);
        KafkaProducer<String, EditJob> producer = env.jobProducer();
        EditstreamProcessor processor = EditstreamProcessor.start(config)) {
      if (!processor.awaitRunning(Duration.ofMinutes(2))) {
        throw new IllegalStateException("processor (blob.store=" + store + ") did not start");
      }
      Map<String, Long> warm = send(producer, jobsTopic, "warm-", 0, warmUp, n, image);
      await(reader, warm, "warm-up");
      emulator.resetStats();
      Map<String, Long> fresh = send(producer, jobsTopic, "new-", 0, n, n, image);
      await(reader, fresh, "new images");
      Map<String, Long> hits = send(producer, jobsTopic, "hit-", 0, n, n, image);
      await(reader, hits, "cache hits");
      long calls = emulator.stats().requests();
      long[] stored = s3 != null ? s3Objects(s3, bucket, keyPrefix) : files(blobDir);
      StoreRun run =
          new StoreRun(
              store,
              phase(reader, fresh),
              phase(reader, hits),
              stored[0],
              stored[1],
              calls,
              reader.duplicates());
      System.out.printf(
          "   %s: %.1f new results/s, %.1f hit results/s%n",
          store, run.fresh().resultsPerSecond(), run.hits().resultsPerSecond());
      return run;
    }
  }

  /** Jobs {@code from..to-1}; the warm-up edits are numbered after the measured ones. */
  private static Map<String, Long> send(
      KafkaProducer<String, EditJob> producer,
      String topic,
      String idPrefix,
      int from,
      int to,
      int measured,
      byte[] image) {
    Map<String, Long> sent = new LinkedHashMap<>();
    for (int i = from; i < to; i++) {
      String id = idPrefix + i;
      int edit = idPrefix.equals("warm-") ? measured + i : i;
      EditJob job =
          BenchEnv.job(id, "bench", "remove the background, blob-store edit " + edit, image);
      sent.put(id, System.nanoTime());
      producer.send(new ProducerRecord<>(topic, id, job));
    }
    producer.flush();
    return sent;
  }

  private static void await(OutcomeReader reader, Map<String, Long> sent, String what) {
    boolean done =
        reader.readUntil(
            () -> sent.keySet().stream().allMatch(reader.seen()::containsKey), PHASE_TIMEOUT);
    if (!done) {
      long seen = sent.keySet().stream().filter(reader.seen()::containsKey).count();
      throw new IllegalStateException(
          what + ": only " + seen + " of " + sent.size() + " outcomes in " + PHASE_TIMEOUT);
    }
  }

  private static StoreRun.Phase phase(OutcomeReader reader, Map<String, Long> sent) {
    Map<String, Long> seen = new HashMap<>();
    Map<String, boolean[]> results = new HashMap<>();
    for (String id : sent.keySet()) {
      OutcomeReader.Seen s = reader.seen().get(id);
      if (s != null && s.ok()) {
        seen.put(id, s.seenNanos());
        EditResult r = s.result();
        boolean byReference = r.getImages().stream().allMatch(i -> i.getData() == null);
        results.put(id, new boolean[] {byReference, r.getCacheHit()});
      }
    }
    return StoreRun.Phase.of(sent, seen, results);
  }

  private static long[] files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return new long[] {0, 0};
    }
    long bytes = 0;
    long count = 0;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        bytes += Files.size(p);
        count++;
      }
    }
    return new long[] {bytes, count};
  }

  private static long[] s3Objects(S3Server s3, String bucket, String keyPrefix) {
    long bytes = 0;
    long count = 0;
    for (var o :
        s3.client().listObjectsV2Paginator(r -> r.bucket(bucket).prefix(keyPrefix)).contents()) {
      bytes += o.size();
      count++;
    }
    return new long[] {bytes, count};
  }
}
