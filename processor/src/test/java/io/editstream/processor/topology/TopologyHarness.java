package io.editstream.processor.topology;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.model.ModelIds;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.processor.throttle.QuotaLimits;
import io.editstream.processor.throttle.QuotaPool;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.schema.CancelRequest;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.OutputImage;
import io.editstream.schema.TenantHold;
import io.editstream.schema.TokenUsage;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The production topology in a {@link TopologyTestDriver} (exactly_once_v2) with plain Avro serdes,
 * for wiring tests: the input topic, the three output topics and the job runtime they share.
 */
final class TopologyHarness implements AutoCloseable {
  static final ProcessorConfig.Topics TOPICS =
      new ProcessorConfig.Topics(
          "jobs", "results", "failures", "dlq", "cancels", "holds", "cache-index", 1, (short) 1);
  static final String MODEL = "gemini-3.1-flash-image-preview";

  final org.apache.kafka.streams.Topology topology;
  final TopologyTestDriver driver;
  final TestInputTopic<byte[], byte[]> jobs;
  final TestInputTopic<byte[], byte[]> cancels;
  final TestOutputTopic<String, EditResult> results;
  final TestOutputTopic<String, EditFailure> failures;
  final TestOutputTopic<byte[], byte[]> dlq;
  final TestInputTopic<String, TenantHold> holdsIn;
  final TestOutputTopic<String, TenantHold> holdsOut;
  private final PlainAvroSerde<EditJob> jobSerde = new PlainAvroSerde<>(EditJob.class);

  /**
   * A runtime with wiring-test defaults: a fixed backoff, 3 attempts, 1,000 pending jobs per task,
   * completed jobIds kept an hour, and no dead-letter spill.
   */
  static JobRuntime runtime(
      Dispatcher dispatcher,
      JobRuntime.Validator validator,
      DispatchGate gate,
      Clock clock,
      Duration backoff,
      TopologyMetrics metrics) {
    return runtime(
        dispatcher, validator, gate, clock, backoff, metrics, SpendCaps.none(), TenantHolds.off());
  }

  /** {@link #runtime} with per-tenant daily caps. */
  static JobRuntime runtime(
      Dispatcher dispatcher,
      JobRuntime.Validator validator,
      DispatchGate gate,
      Clock clock,
      Duration backoff,
      TopologyMetrics metrics,
      SpendCaps spendCaps) {
    return runtime(
        dispatcher, validator, gate, clock, backoff, metrics, spendCaps, TenantHolds.off());
  }

  /** {@link #runtime} with the tenants held after safety strikes (and the strike policy). */
  static JobRuntime runtime(
      Dispatcher dispatcher,
      JobRuntime.Validator validator,
      DispatchGate gate,
      Clock clock,
      Duration backoff,
      TopologyMetrics metrics,
      TenantHolds holds) {
    return runtime(dispatcher, validator, gate, clock, backoff, metrics, SpendCaps.none(), holds);
  }

  /** {@link #runtime} with both guardrails given. */
  static JobRuntime runtime(
      Dispatcher dispatcher,
      JobRuntime.Validator validator,
      DispatchGate gate,
      Clock clock,
      Duration backoff,
      TopologyMetrics metrics,
      SpendCaps spendCaps,
      TenantHolds holds) {
    return new JobRuntime(
        dispatcher,
        validator,
        gate,
        clock,
        new Backoff(backoff, backoff, () -> 0.0),
        3,
        1_000,
        Duration.ofHours(1),
        metrics,
        bytes -> {
          throw new java.io.IOException("no spill in wiring tests");
        },
        new JobDirectory(),
        spendCaps,
        holds,
        BatchSettings.OFF);
  }

  /** {@link #runtime} for the throttle's wiring tests: no validation, a fixed 100 ms backoff. */
  static JobRuntime runtime(
      Dispatcher dispatcher, DispatchGate gate, Clock clock, TopologyMetrics metrics) {
    return runtime(
        dispatcher, job -> Optional.empty(), gate, clock, Duration.ofMillis(100), metrics);
  }

  /**
   * {@link #runtime} without validation, quota pools or a backoff of its own (a retry waits for its
   * failure's retry delay): {@code inFlight} calls at a time, the gate's and the topology's meters
   * in {@code meters}.
   */
  static JobRuntime unthrottled(
      Dispatcher dispatcher, int inFlight, Clock clock, MeterRegistry meters) {
    return unthrottled(dispatcher, inFlight, clock, meters, TenantHolds.off());
  }

  /** {@link #unthrottled} with the tenants held after safety strikes (and the strike policy). */
  static JobRuntime unthrottled(
      Dispatcher dispatcher, int inFlight, Clock clock, MeterRegistry meters, TenantHolds holds) {
    return runtime(
        dispatcher,
        job -> Optional.empty(),
        DispatchGate.unlimited(new InFlightLimit(inFlight, meters), 1, meters),
        clock,
        Duration.ZERO,
        new TopologyMetrics(meters),
        holds);
  }

  /**
   * A gate of {@code inFlight} calls at a time over one quota pool per model with {@code limits},
   * on fake time: {@code time} is the pools' ticker and their clock (the Pacific day).
   */
  static DispatchGate gate(FakeTime time, QuotaLimits limits, int inFlight, MeterRegistry meters) {
    return new DispatchGate(
        new InFlightLimit(inFlight, meters),
        1,
        model -> QuotaPool.builder(model, limits).ticker(time.nanos::get).clock(time).build(),
        Map.of(),
        1.0,
        10_000,
        meters);
  }

  /** Jobs keyed by their jobId skip the repartition hop (the production default, one partition). */
  TopologyHarness(JobRuntime runtime, String applicationId, Path stateDir) {
    this(runtime, applicationId, stateDir, 1);
  }

  /** {@code directPartitions} 0: every job takes the repartition hop. */
  TopologyHarness(JobRuntime runtime, String applicationId, Path stateDir, int directPartitions) {
    this(
        runtime,
        applicationId,
        stateDir,
        directPartitions,
        new PlainAvroSerde<>(EditJob.class).deserializer());
  }

  /** With {@code jobDecoder} decoding every job frame the topology reads (e.g. one that counts). */
  TopologyHarness(
      JobRuntime runtime,
      String applicationId,
      Path stateDir,
      int directPartitions,
      org.apache.kafka.common.serialization.Deserializer<EditJob> jobDecoder) {
    this.topology = topology(runtime, directPartitions, jobDecoder);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(topology, props);
    jobs =
        driver.createInputTopic(
            "jobs", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    cancels =
        driver.createInputTopic(
            "cancels", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    results =
        driver.createOutputTopic(
            "results",
            Serdes.String().deserializer(),
            new PlainAvroSerde<>(EditResult.class).deserializer());
    failures =
        driver.createOutputTopic(
            "failures",
            Serdes.String().deserializer(),
            new PlainAvroSerde<>(EditFailure.class).deserializer());
    dlq =
        driver.createOutputTopic(
            "dlq", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
    holdsIn =
        driver.createInputTopic(
            "holds",
            Serdes.String().serializer(),
            new PlainAvroSerde<>(TenantHold.class).serializer());
    holdsOut =
        driver.createOutputTopic(
            "holds",
            Serdes.String().deserializer(),
            new PlainAvroSerde<>(TenantHold.class).deserializer());
  }

  /** The production topology over {@link #TOPICS}, with plain Avro serdes. */
  static org.apache.kafka.streams.Topology topology(JobRuntime runtime, int directPartitions) {
    return topology(runtime, directPartitions, new PlainAvroSerde<>(EditJob.class).deserializer());
  }

  static org.apache.kafka.streams.Topology topology(
      JobRuntime runtime,
      int directPartitions,
      org.apache.kafka.common.serialization.Deserializer<EditJob> jobDecoder) {
    return EditstreamTopology.build(
        new StreamsBuilder(),
        TOPICS,
        ModelIds.of(MODEL),
        new TopologySerdes(
            jobDecoder,
            new PlainAvroSerde<>(EditResult.class),
            new PlainAvroSerde<>(EditFailure.class),
            new PlainAvroSerde<>(CancelRequest.class).deserializer(),
            new PlainAvroSerde<>(TenantHold.class),
            e -> false),
        runtime,
        directPartitions);
  }

  /**
   * One round of the job processor: two punctuations, because a dispatch recorded at one starts its
   * call at the next, after the commit in between made it durable.
   */
  void round() {
    driver.advanceWallClockTime(JobProcessor.TICK);
    driver.advanceWallClockTime(JobProcessor.TICK);
  }

  /** Moves {@code time} and the driver's wall clock together, one punctuation at a time. */
  void run(FakeTime time, Duration d) {
    for (long t = 0; t < d.toMillis(); t += JobProcessor.TICK.toMillis()) {
      time.nanos.addAndGet(JobProcessor.TICK.toNanos());
      driver.advanceWallClockTime(JobProcessor.TICK);
    }
  }

  /** The job as its Avro bytes on the input topic, keyed by {@code key}. */
  void submit(String key, EditJob job) {
    jobs.pipeInput(key.getBytes(StandardCharsets.UTF_8), frame(job));
  }

  /** A cancel request for {@code jobId}, keyed by it, as editstream cancel sends it. */
  void cancel(String jobId, String reason) {
    CancelRequest request =
        CancelRequest.newBuilder()
            .setJobId(jobId)
            .setRequestedAt(java.time.Instant.ofEpochMilli(1_700_000_000_000L))
            .setRequestedBy("ops")
            .setReason(reason)
            .build();
    cancels.pipeInput(
        jobId.getBytes(StandardCharsets.UTF_8),
        new PlainAvroSerde<>(CancelRequest.class).serializer().serialize("cancels", request));
  }

  byte[] frame(EditJob job) {
    return jobSerde.serializer().serialize("jobs", job);
  }

  @Override
  public void close() {
    driver.close();
  }

  /** An in-memory store added to a {@link MockProcessorContext}, as the changelog restores it. */
  static <V> org.apache.kafka.streams.state.KeyValueStore<String, V> mockStore(
      org.apache.kafka.streams.processor.api.MockProcessorContext<?, ?> context,
      String name,
      org.apache.kafka.common.serialization.Serde<V> values) {
    org.apache.kafka.streams.state.KeyValueStore<String, V> store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name),
                org.apache.kafka.common.serialization.Serdes.String(),
                values)
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  /** Everything in {@code store}, by key. */
  static <V> Map<String, V> contents(KeyValueStore<String, V> store) {
    Map<String, V> out = new HashMap<>();
    try (KeyValueIterator<String, V> it = store.all()) {
      it.forEachRemaining(kv -> out.put(kv.key, kv.value));
    }
    return out;
  }

  /**
   * A job task that a new processor opens again (after a restart, a rebalance): the task's stores
   * in memory in a {@link MockProcessorContext}, for the test to fill with what their changelogs
   * restore before it {@linkplain #open opens} the processor.
   */
  static final class RestoredTask {
    final MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
    final KeyValueStore<String, byte[]> pending;
    final KeyValueStore<String, Long> rpd;
    final KeyValueStore<String, Long> spend;
    final KeyValueStore<String, Long> history;

    RestoredTask() {
      pending = mockStore(context, JobProcessor.PENDING_STORE, Serdes.ByteArray());
      mockStore(context, JobProcessor.COMPLETED_STORE, Serdes.Long());
      mockStore(context, JobProcessor.CANCELLED_STORE, Serdes.Long());
      rpd = mockStore(context, JobProcessor.RPD_STORE, Serdes.Long());
      spend = mockStore(context, JobProcessor.SPEND_STORE, Serdes.Long());
      history = mockStore(context, JobProcessor.HISTORY_STORE, Serdes.Long());
    }

    /** A processor of {@code runtime} over the stores, initialised: its punctuation scheduled. */
    JobProcessor open(JobRuntime runtime) {
      JobProcessor processor =
          new JobProcessor(
              runtime,
              new PlainAvroSerde<>(EditJob.class).deserializer(),
              new PlainAvroSerde<>(EditResult.class).deserializer(),
              new PlainAvroSerde<>(CancelRequest.class).deserializer(),
              "results",
              ModelIds.of(MODEL));
      processor.init(context);
      return processor;
    }

    /** The punctuation the processor scheduled when it {@linkplain #open opened}. */
    Punctuator tick() {
      return context.scheduledPunctuators().get(0).getPunctuator();
    }
  }

  /**
   * A dispatcher whose calls wait for the test to answer them ({@link #calls}, by jobId); a new
   * call of a job replaces its answered one.
   */
  static final class WaitingDispatcher implements Dispatcher {
    final Map<String, CompletableFuture<Attempt>> calls = new ConcurrentHashMap<>();
    // Calls made, by jobId.
    final Map<String, Integer> callCount = new ConcurrentHashMap<>();

    @Override
    public CompletableFuture<Attempt> attempt(EditJob job, int attemptNumber) {
      CompletableFuture<Attempt> call = new CompletableFuture<>();
      calls.put(job.getJobId(), call);
      callCount.merge(job.getJobId(), 1, Integer::sum);
      return call;
    }
  }

  /**
   * A model call's result without images (300 tokens in, one 1K image's 1,120 out), for wiring
   * tests that count calls.
   */
  static Dispatcher.Produced imageless() {
    return imageless(false, "ck", "test", null);
  }

  /** {@link #imageless()} from the cache or not, with its content key, provider and cost. */
  static Dispatcher.Produced imageless(
      boolean cacheHit, String contentKey, String provider, Double estimatedCostUsd) {
    return new Dispatcher.Produced(
        List.of(),
        "done",
        MODEL,
        "v1",
        new TokenUsage(300, 1120, 1120, 1420),
        Duration.ofMillis(5),
        cacheHit,
        contentKey,
        provider,
        estimatedCostUsd);
  }

  /** A finished model call's result (one 1024 px PNG at a file: URI), for wiring tests. */
  static Dispatcher.Produced produced() {
    return new Dispatcher.Produced(
        List.of(
            OutputImage.newBuilder()
                .setUri("file:///blobs/abc.png")
                .setSha256("ab".repeat(32))
                .setMimeType("image/png")
                .setWidth(1024)
                .setHeight(1024)
                .setSizeBytes(1234)
                .build()),
        "done",
        TopologyHarness.MODEL,
        "v1",
        new TokenUsage(100, 1120, 1120, 1220),
        Duration.ofMillis(5),
        false,
        "ck",
        "test",
        null);
  }
}
