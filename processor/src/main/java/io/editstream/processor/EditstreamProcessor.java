package io.editstream.processor;

import io.editstream.processor.batch.BatchClient;
import io.editstream.processor.blob.BlobStore;
import io.editstream.processor.config.ConfigException;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.ops.JobLookup;
import io.editstream.processor.ops.OpsServer;
import io.editstream.processor.provider.ProviderRouter;
import io.editstream.processor.throttle.BatchQuota;
import io.editstream.processor.throttle.DispatchGate;
import io.editstream.processor.throttle.InFlightLimit;
import io.editstream.processor.throttle.SpendCaps;
import io.editstream.processor.topology.Backoff;
import io.editstream.processor.topology.BatchSettings;
import io.editstream.processor.topology.Dispatcher;
import io.editstream.processor.topology.EditstreamTopology;
import io.editstream.processor.topology.JobDirectory;
import io.editstream.processor.topology.JobRuntime;
import io.editstream.processor.topology.TenantHolds;
import io.editstream.processor.topology.TopologyMetrics;
import io.editstream.processor.topology.TopologySerdes;
import io.editstream.schema.CancelRequest;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.TenantHold;
import io.editstream.serde.AvroSerdes;
import io.editstream.serde.SerdeException;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The Editstream processor: {@code java -jar editstream-processor.jar [--config FILE]}. Settings
 * come from the file and the environment ({@link Settings#ALL}); a bad one stops the process with
 * exit code 2 and a message naming it.
 */
public final class EditstreamProcessor implements AutoCloseable {
  /**
   * Per-tenant daily caps, shared between instances by the quota pools' share. A job is admitted by
   * its cost at the most expensive configured provider, so the cap holds wherever it runs.
   */
  private static SpendCaps spendCaps(
      ProcessorConfig config,
      DispatchGate gate,
      io.micrometer.core.instrument.MeterRegistry meters) {
    ProcessorConfig.TenantCaps c = config.tenantCaps();
    double in = config.pricing().inputPerMillion() / 1e6;
    double out = config.pricing().outputPerMillion() / 1e6;
    double perImage =
        config.providers().order().contains("wavespeed")
            ? config.providers().wavespeedPricePerImage()
            : 0;
    return new SpendCaps(
        new SpendCaps.Caps(
            c.usdPerDay(),
            c.defaultUsdPerDay(),
            c.requestsPerDay(),
            c.defaultRequestsPerDay(),
            c.failOverCap()),
        (inputTokens, outputTokens, images) ->
            Math.max(inputTokens * in + outputTokens * out, images * perImage),
        gate::share,
        meters);
  }

  private static final Logger log = LoggerFactory.getLogger(EditstreamProcessor.class);

  /** Default of Kafka Streams' {@code buffered.records.per.partition} (Kafka's own: 1000). */
  static final int BUFFERED_RECORDS_PER_PARTITION = 32;

  /** Default of the Streams producer's {@code retry.backoff.ms} (Kafka's own: 100). */
  static final long PRODUCER_RETRY_BACKOFF_MS = 2;

  private final ProcessorConfig config;
  private final PrometheusMeterRegistry meters;
  private final KafkaStreams streams;
  private final Dispatcher dispatcher;
  private final ModelClient model;
  private final InFlightLimit inFlight;
  private final DispatchGate gate;
  private final OpsServer ops;
  private final JobLookup lookup;
  private final JobDirectory jobs = new JobDirectory();
  private final TenantHolds holds;
  private final KafkaStreamsMetrics streamsMetrics;
  private final StateDirSlot stateSlot;
  private final BlobStores blobs;
  private final BatchClient batchClient;
  private final ExecutorService batchThreads;
  static final int BATCH_IO_THREADS = 2;
  private final Admin fencerAdmin;
  private final LeftInstanceFencer fencer;

  private EditstreamProcessor(
      ProcessorConfig config, Function<ProcessorConfig, ModelClient> modelFactory, Clock clock)
      throws IOException {
    this.config = config;
    // First: a missing bucket or refused credentials should stop us before we touch Kafka.
    this.blobs = BlobStores.open(config.blob());
    this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(meters);
    // process_start_time_seconds: lets `editstream status` say since when its counters count.
    new UptimeMetrics().bindTo(meters);

    // The topic checks, the serdes and the model client do not depend on each other: the latter
    // two are built beside the checks. After a crash every second of start-up is a second
    // without model calls (issue 17.1).
    Map<String, Object> serdeConfig = new HashMap<>(config.registry());
    ExecutorService startup =
        Executors.newFixedThreadPool(2, Dispatchers.daemon("editstream-startup"));
    Future<TopologySerdes> serdesSoon = startup.submit(() -> serdes(serdeConfig));
    Future<ModelClient> modelSoon =
        startup.submit(
            () ->
                modelFactory != null
                    ? modelFactory.apply(config)
                    : Providers.build(config, clock, meters));
    startup.shutdown();
    int inputPartitions;
    TopologySerdes serdes;
    try {
      inputPartitions = checkTopics(config);
      serdes = await(serdesSoon);
      this.model = await(modelSoon);
    } catch (RuntimeException e) {
      closeWhenBuilt(modelSoon);
      throw e;
    }
    this.inFlight = new InFlightLimit(config.model().maxInFlight(), meters);
    // Jobs are admitted only to providers the router would call now (circuit, exhaustion).
    Predicate<String> available = provider -> true;
    if (model instanceof ProviderRouter router) {
      available = router::admits;
    }
    this.gate = Dispatchers.gate(config, inFlight, inputPartitions, available, meters, clock);
    gate.startPump();
    this.holds = new TenantHolds(config.safetyStrikes(), meters);
    Dispatchers.Production production =
        Dispatchers.production(config, model, blobs.images(), blobs.inputObjects(), meters, clock);
    this.dispatcher = production.dispatcher();
    BatchSettings batch = BatchSettings.OFF;
    if (config.batch().on()) {
      ProcessorConfig.Model m = config.model();
      this.batchClient =
          new BatchClient(
              new GeminiModelClient.Settings(m.apiKey(), m.baseUrl(), m.timeout(), 8),
              config.batch().inlineMaxBytes());
      AtomicInteger threadNumber = new AtomicInteger();
      // Two threads for the batch service's calls: a poll of a finished batch holds its whole
      // output (every answer's image) until it is handed over, so finished batches are read two
      // at a time, not all at once when many finish together.
      this.batchThreads =
          Executors.newFixedThreadPool(
              BATCH_IO_THREADS,
              r -> {
                Thread t = new Thread(r, "editstream-batch-" + threadNumber.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      batch =
          new BatchSettings(
              batchClient,
              batchThreads,
              config.batch().maxRequests(),
              config.batch().maxWait(),
              config.batch().pollInterval(),
              config.batch().failOnBatchFailure(),
              config.batch().deadline(),
              config.batch().failOnDeadline(),
              // Its own pool, shared between instances like the online pools.
              new BatchQuota(
                      config.batch().quotaEnqueuedRequests(),
                      config.batch().quotaEnqueuedTokens(),
                      gate::share)
                  .register(meters),
              !config.batch().perJob());
    } else {
      this.batchClient = null;
      this.batchThreads = null;
    }
    JobRuntime runtime =
        new JobRuntime(
            dispatcher,
            Dispatchers.validator(config),
            gate,
            clock,
            new Backoff(
                config.retry().initialBackoff(),
                config.retry().maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble()),
            config.retry().maxAttempts(),
            config.pendingMaxPerTask(),
            Duration.ofDays(7),
            new TopologyMetrics(meters),
            deadLetterSpill(blobs.deadLetters()),
            jobs,
            spendCaps(config, gate, meters),
            holds,
            batch);

    Topology topology =
        EditstreamTopology.build(
            new StreamsBuilder(),
            config.topics(),
            config.model().ids(),
            serdes,
            runtime,
            config.directJobIdKeys() ? inputPartitions : 0);
    log.info("Topology:\n{}", topology.describe());
    // Our own slot under state.dir, so instances sharing a host or a volume never share one.
    this.stateSlot = StateDirSlot.claim(config.stateDir());
    log.info("State directory of this instance: {}", stateSlot.dir());
    Properties streamsProps = streamsProperties(config, stateSlot.dir());
    // The ops server first: its port (0 picks one) is this instance's application.server, where
    // other instances forward GET /jobs for the jobs this one owns.
    this.ops =
        config.httpPort() < 0
            ? null
            : new OpsServer(config.httpHost(), config.httpPort(), this::streamsState, meters);
    HostInfo self = null;
    if (ops != null) {
      self = new HostInfo(advertisedHost(config), ops.port());
      streamsProps.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    }
    this.streams = new KafkaStreams(topology, streamsProps);
    this.streams.setUncaughtExceptionHandler(
        e -> {
          log.error("Stream thread died; replacing it (its tasks restart from committed state)", e);
          return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    // How long hand-overs and restarts spend restoring stores (issue 17.1): logged and metered.
    this.streams.setGlobalStateRestoreListener(new StateRestoreLog(clock, meters));
    // A peer killed mid-transaction would hold up the restore of the tasks we take over from it
    // until the broker times its transaction out; abort it as soon as it has left the group.
    this.fencerAdmin = Admin.create(new HashMap<>(config.kafka()));
    this.fencer =
        new LeftInstanceFencer(fencerAdmin, config.applicationId(), Duration.ofSeconds(10), meters);
    this.streams.setStateListener(fencer::onStateChange);
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(meters);
    if (ops != null) {
      this.lookup =
          new JobLookup(
              () -> streams,
              self,
              jobs,
              config.topics(),
              config.kafka(),
              AvroSerdes.valueSerde(EditResult.class, serdeConfig).deserializer(),
              AvroSerdes.valueSerde(EditFailure.class, serdeConfig).deserializer(),
              clock);
      ops.serveJobs(lookup);
    } else {
      this.lookup = null;
    }
    if (config.batch().on()) {
      // The batch lane looks jobs up in the dedup cache before it submits them: read it first.
      Dispatchers.awaitCacheIndex(
          production.index(), config.topics().cacheIndex(), production.indexStartedNanos());
    } else {
      // Online calls need a grant, and the dispatcher looks each job up in the dedup cache only
      // after it: hold the grants until the index is read, and let Kafka Streams start (and
      // restore its stores) meanwhile: after a crash that overlaps two waits (issue 17.1).
      gate.holdGrants();
      Thread indexWait =
          new Thread(
              () -> {
                try {
                  Dispatchers.awaitCacheIndex(
                      production.index(),
                      config.topics().cacheIndex(),
                      production.indexStartedNanos());
                } finally {
                  gate.releaseGrants();
                }
              },
              "editstream-cache-index-wait");
      indexWait.setDaemon(true);
      indexWait.start();
    }
    streams.start();
    log.info(
        "Editstream processor started: {} -> {} / {} (model {}, up to {} calls in flight{})",
        config.topics().jobs(),
        config.topics().results(),
        config.topics().failures(),
        config.model().defaultModel(),
        config.model().maxInFlight(),
        ops == null ? "" : ", http on port " + ops.port());
  }

  /**
   * Creates the topics that are missing and checks those that exist; returns the number of
   * partitions of the job topic.
   */
  private static int checkTopics(ProcessorConfig config) {
    int inputPartitions;
    try (Admin admin = Admin.create(new HashMap<>(config.kafka()))) {
      TopicSetup.ensure(admin, wantedTopics(config));
      // The job sub-topology has one task per partition of the job topic (its repartition topic
      // inherits the count): the denominator of this instance's share of every quota pool.
      inputPartitions = TopicSetup.partitions(admin, config.topics().jobs());
      // Cancel requests meet their jobs in the job task of the same partition number.
      int cancelPartitions = TopicSetup.partitions(admin, config.topics().cancel());
      if (cancelPartitions != inputPartitions) {
        throw new ConfigException(
            "topic.cancel",
            "topic "
                + config.topics().cancel()
                + " has "
                + cancelPartitions
                + " partitions and "
                + config.topics().jobs()
                + " has "
                + inputPartitions
                + "; they must be equal (recreate the cancel topic with "
                + inputPartitions
                + " partitions, or name another one)");
      }
    }

    return inputPartitions;
  }

  private static TopologySerdes serdes(Map<String, Object> serdeConfig) {
    return new TopologySerdes(
        AvroSerdes.valueSerde(EditJob.class, serdeConfig).deserializer(),
        AvroSerdes.valueSerde(EditResult.class, serdeConfig),
        AvroSerdes.valueSerde(EditFailure.class, serdeConfig),
        AvroSerdes.valueSerde(CancelRequest.class, serdeConfig).deserializer(),
        AvroSerdes.valueSerde(TenantHold.class, serdeConfig),
        EditstreamProcessor::isTransientDecodeError);
  }

  /** The value of a start-up step run beside the others; its exception as if thrown here. */
  private static <T> T await(Future<T> step) {
    try {
      return step.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  /** Start-up failed elsewhere: the model client, once built, is closed (its threads stop). */
  private static void closeWhenBuilt(Future<ModelClient> model) {
    try {
      model.get().close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | RuntimeException e) {
      log.debug("Model client not built or not closed cleanly", e);
    }
  }

  /** Starts a processor; the caller closes it. */
  public static EditstreamProcessor start(ProcessorConfig config) throws IOException {
    return new EditstreamProcessor(config, null, Clock.systemUTC());
  }

  public static EditstreamProcessor start(
      ProcessorConfig config, Function<ProcessorConfig, ModelClient> modelFactory, Clock clock)
      throws IOException {
    return new EditstreamProcessor(config, modelFactory, clock);
  }

  static List<TopicSetup.Wanted> wantedTopics(ProcessorConfig config) {
    ProcessorConfig.Topics t = config.topics();
    List<TopicSetup.Wanted> out = new ArrayList<>();
    for (String name : t.all()) {
      out.add(
          new TopicSetup.Wanted(
              name,
              t.partitions(),
              t.replication(),
              Map.of(
                  TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                  Integer.toString(config.maxMessageBytes()))));
    }
    // Read whole by every instance (a global store): one partition is plenty for a few records per
    // tenant ever held.
    out.add(
        new TopicSetup.Wanted(
            t.holds(),
            1,
            t.replication(),
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    out.add(
        new TopicSetup.Wanted(
            t.cacheIndex(),
            t.partitions(),
            t.replication(),
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    return out;
  }

  /** The Kafka Streams properties the processor runs with ({@code kafka.*} settings win). */
  public static Properties streamsProperties(ProcessorConfig config) {
    return streamsProperties(config, config.stateDir());
  }

  /** {@link #streamsProperties(ProcessorConfig)} with this instance's own state directory. */
  static Properties streamsProperties(ProcessorConfig config, Path stateDir) {
    Properties p = new Properties();
    p.putAll(config.kafka());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // Streams' producer would otherwise linger as long as the commit interval; results wait for
    // the commit anyway, and a short linger keeps the commit's flush small (docs/benchmarks.md).
    p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    // Granted model calls start at the next punctuation (every 5 ms); an idle stream thread would
    // otherwise block up to 100 ms in poll() before it runs one.
    p.putIfAbsent(StreamsConfig.POLL_MS_CONFIG, 5L);
    // Outcomes and dispatches commit back to back. A transaction that starts while the markers of
    // the previous one are still being written gets CONCURRENT_TRANSACTIONS on its offsets
    // (AddOffsetsToTxn), and the producer retries after retry.backoff.ms: Kafka's 100 ms stalled
    // the stream thread for ~100 ms at a time, every record behind it waiting (KAFKA-5477 lowered
    // this to 20 ms for AddPartitionsToTxn only). Transactional requests retry at this constant
    // interval (retry.backoff.max.ms does not apply to them). The paced p99 stayed under 100 ms in
    // 11 of 12 runs at 2 ms, 23 of 28 at 10 (docs/benchmarks.md, 2026-12-05), for a few more
    // requests to a busy coordinator. Other requests back off exponentially from it, up to
    // retry.backoff.max.ms.
    p.putIfAbsent(
        StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG),
        PRODUCER_RETRY_BACKOFF_MS);
    if (!config.instanceId().isEmpty()) {
      // Static membership (issue 17.1): a restart after kill -9 takes its tasks back at once,
      // instead of waiting out the dead member's session and rebalancing everyone. The slot keeps
      // instances on one host apart; Kafka Streams appends each thread's index.
      p.put(
          StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
          config.instanceId() + "-" + stateDir.getFileName());
    }
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topics().replication());
    // A pending-store entry or a DLQ record is a little larger than the input record it holds.
    p.putIfAbsent(
        StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
        Integer.toString(config.maxMessageBytes()));
    p.putIfAbsent(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        config.maxMessageBytes());
    // A job record can be up to ~1 MB; keep fetches bounded so memory follows in-flight work.
    p.putIfAbsent(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 500);
    // Streams queues up to this many fetched records per input partition (job topic and its
    // repartition topic) when processing lags fetching; Kafka's 1000 would allow ~200 MB of heap
    // per partition for 200 KB jobs (docs/operations.md, "Memory").
    p.putIfAbsent(
        StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, BUFFERED_RECORDS_PER_PARTITION);
    p.putIfAbsent(
        StreamsConfig.topicPrefix(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG), "CreateTime");
    return p;
  }

  /** Large undecodable values go to the blob store, content-addressed, like finished images. */
  static JobRuntime.DeadLetterSpill deadLetterSpill(BlobStore blobs) {
    return bytes -> blobs.put(bytes, "application/octet-stream").uri();
  }

  /** Registry trouble is not the record's fault: retry it rather than dead-letter it. */
  static boolean isTransientDecodeError(RuntimeException e) {
    return SerdeException.find(e)
        .map(
            s ->
                s.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE
                    || s.reason() == SerdeException.Reason.REGISTRY_ERROR)
        .orElse(false);
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** The state for /health; CREATED while the ops server is up but Kafka Streams not yet built. */
  private KafkaStreams.State streamsState() {
    KafkaStreams s = streams;
    return s == null ? KafkaStreams.State.CREATED : s.state();
  }

  /** {@code http.advertised.host}, else {@code http.host} unless a wildcard, else our address. */
  static String advertisedHost(ProcessorConfig config) {
    if (!config.httpAdvertisedHost().isEmpty()) {
      return config.httpAdvertisedHost();
    }
    String bound = config.httpHost();
    if (!bound.equals("0.0.0.0") && !bound.equals("::") && !bound.isBlank()) {
      return bound;
    }
    try {
      // The address, not the name: a container's or a pod's name often resolves only locally.
      return java.net.InetAddress.getLocalHost().getHostAddress();
    } catch (java.net.UnknownHostException e) {
      log.warn(
          "This machine has no resolvable name ({}); other instances may not reach /jobs here:"
              + " set http.advertised.host",
          e.getMessage());
      return "localhost";
    }
  }

  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (streams.state() == KafkaStreams.State.RUNNING) {
        return true;
      }
      Thread.sleep(50); // polling a state with no listener hook of our own
    }
    return false;
  }

  public int httpPort() {
    return ops == null ? -1 : ops.port();
  }

  public PrometheusMeterRegistry meters() {
    return meters;
  }

  public InFlightLimit inFlight() {
    return inFlight;
  }

  /** The tenants held after safety strikes, as this instance reads the holds topic. */
  public TenantHolds holds() {
    return holds;
  }

  /** The quota throttles and in-flight bound of this instance (shares, queued jobs, pools). */
  public DispatchGate gate() {
    return gate;
  }

  public ProcessorConfig config() {
    return config;
  }

  /**
   * Stops consuming and closes. Calls still in flight are abandoned, not lost: their jobs stay in
   * the pending store and the next owner of the task dispatches them again.
   */
  @Override
  public void close() {
    drainCallsInFlight(drainBound(config));
    // Leave the group at once, so the partitions (and their quota share) move without waiting for
    // the session timeout.
    streams.close(
        CloseOptions.timeout(Duration.ofSeconds(30))
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    fencer.close();
    fencerAdmin.close(Duration.ofSeconds(5));
    streamsMetrics.close();
    gate.close();
    if (ops != null) {
      ops.close();
    }
    if (lookup != null) {
      lookup.close();
    }
    if (batchThreads != null) {
      batchThreads.shutdownNow();
      batchClient.close();
    }
    dispatcher.close();
    model.close();
    blobs.close();
    meters.close();
    stateSlot.close();
  }

  /** A clean stop waits this long at most for the calls in flight: the model's timeout, ≤ 20 s. */
  static Duration drainBound(ProcessorConfig config) {
    Duration timeout = config.model().timeout();
    return timeout.compareTo(MAX_DRAIN) < 0 ? timeout : MAX_DRAIN;
  }

  static final Duration MAX_DRAIN = Duration.ofSeconds(20);

  /**
   * Lets the model calls in flight finish, and their outcomes be written, before the tasks leave: a
   * call cut off here would be made (and paid) again by the task's next owner. No new call starts
   * meanwhile; the tasks keep running so each answer is committed as usual.
   */
  private void drainCallsInFlight(Duration bound) {
    gate.stopGranting();
    int calls = Math.max(inFlight.inFlight(), jobs.onlineCallsInFlight());
    if (calls == 0 || !streams.state().isRunningOrRebalancing()) {
      log.info("Stopping: {} model calls in flight are handed back", calls);
      return;
    }
    log.info(
        "Stopping: no new model calls; waiting up to {} s for the {} in flight to finish",
        bound.toSeconds(),
        calls);
    long deadline = System.nanoTime() + bound.toNanos();
    // Settled calls free their slot at once; their outcomes are written when the task next runs.
    while ((inFlight.inFlight() > 0 || jobs.onlineCallsInFlight() > 0)
        && System.nanoTime() < deadline
        && streams.state().isRunningOrRebalancing()) {
      try {
        Thread.sleep(20); // the in-flight count has no listener of its own
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int left = Math.max(inFlight.inFlight(), jobs.onlineCallsInFlight());
    if (left == 0) {
      log.info("Stopping: the {} model calls in flight finished", calls);
    } else {
      log.info(
          "Stopping: {} model calls still in flight after {} s are handed back (their tasks'"
              + " next owner calls them again)",
          left,
          bound.toSeconds());
    }
  }

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> {
          if (i + 1 >= args.length) {
            fail("--config needs a file name");
          }
          file = Path.of(args[++i]);
        }
        case "--help", "-h" -> {
          printHelp();
          return;
        }
        default -> fail("unknown argument '" + args[i] + "' (try --help)");
      }
    }
    ProcessorConfig config;
    try {
      config = ProcessorConfig.from(Settings.load(file, System.getenv()));
    } catch (ConfigException e) {
      fail("bad setting: " + withEnvironmentVariable(e));
      return;
    }
    log.info("Configuration: {}", config);
    warnOfUnreachableModelApis(config);
    CountDownLatch stopped = new CountDownLatch(1);
    try {
      Optional<String> kafka =
          io.editstream.processor.config.Reachability.kafka(
              String.valueOf(config.kafka().get("bootstrap.servers")), Duration.ofSeconds(30));
      if (kafka.isPresent()) {
        System.err.println("editstream-processor: cannot start: " + kafka.get());
        System.exit(1);
      }
      EditstreamProcessor processor = start(config);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    processor.close();
                    stopped.countDown();
                  },
                  "editstream-shutdown"));
      stopped.await();
    } catch (ConfigException e) {
      fail("bad setting: " + withEnvironmentVariable(e));
    } catch (IllegalStateException | java.io.UncheckedIOException e) {
      // Our start-up checks (Kafka, topics, blob store) say what to change; no stack trace.
      log.debug("Editstream processor failed to start", e);
      System.err.println("editstream-processor: cannot start: " + e.getMessage());
      System.exit(1);
    } catch (IOException | RuntimeException e) {
      log.error("Editstream processor failed to start", e);
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Tries a connection to each model API whose base URL is set, in the background: a wrong address
   * is logged at once, naming the setting, instead of showing later as MODEL_UNAVAILABLE on every
   * job. Google's default endpoints are not tried (a host without internet uses a base URL).
   */
  private static void warnOfUnreachableModelApis(ProcessorConfig config) {
    Map<String, String> urls = new java.util.LinkedHashMap<>();
    List<String> order = config.providers().order();
    if (order.contains("ai-studio") && config.model().baseUrl() != null) {
      urls.put("gemini.base.url", config.model().baseUrl());
    }
    if (order.contains("vertex") && config.providers().vertexBaseUrl() != null) {
      urls.put("vertex.base.url", config.providers().vertexBaseUrl());
    }
    if (order.contains("wavespeed")) {
      urls.put("wavespeed.base.url", config.providers().wavespeedBaseUrl());
    }
    if (urls.isEmpty()) {
      return;
    }
    Thread probe =
        new Thread(
            () ->
                urls.forEach(
                    (setting, url) ->
                        io.editstream.processor.config.Reachability.problem(
                                setting, url, Duration.ofSeconds(5))
                            .ifPresent(
                                problem ->
                                    log.warn(
                                        "Model API: {}; until it answers, jobs fail with"
                                            + " MODEL_UNAVAILABLE after their retries",
                                        problem))),
            "editstream-model-api-check");
    probe.setDaemon(true);
    probe.start();
  }

  private static void printHelp() {
    StringBuilder b = new StringBuilder();
    b.append("Usage: java -jar editstream-processor.jar [--config FILE]\n\n");
    b.append("Settings (file key / environment variable / default):\n");
    for (var s : Settings.ALL) {
      b.append(
          String.format(
              "  %-28s %-36s %s%n    %s%n",
              s.name(),
              s.env(),
              s.secret() ? "(secret)" : s.defaultValue() == null ? "" : s.defaultValue(),
              s.doc()));
    }
    System.out.print(b);
  }

  /** The message, plus the setting's environment variable when the message does not name it. */
  private static String withEnvironmentVariable(ConfigException e) {
    String env = Settings.envOf(e.setting());
    if (env == null || e.getMessage().contains(env)) {
      return e.getMessage();
    }
    return e.getMessage() + " (environment variable " + env + "; --help lists every setting)";
  }

  private static void fail(String message) {
    System.err.println("editstream-processor: " + message);
    System.exit(2);
  }

  static {
    // Avro 1.12 loads generated classes only from trusted packages.
    String trusted = System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES");
    if (trusted == null || !trusted.contains("io.editstream")) {
      System.setProperty(
          "org.apache.avro.SERIALIZABLE_PACKAGES",
          trusted == null || trusted.isBlank() ? "io.editstream" : trusted + ",io.editstream");
    }
  }
}
