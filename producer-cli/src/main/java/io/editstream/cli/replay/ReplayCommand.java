package io.editstream.cli.replay;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.DurationConverter;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Progress;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import io.editstream.cli.kafka.TransactionBatch;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import io.editstream.serde.SerdeException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code editstream replay}: republish failed jobs, exactly once per failure. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Read edit-failures up to its current end and republish the original job of every"
          + " matching failure to edit-jobs, then stop.",
      "Only retryable failures by default (quota, outage, timeout); permanent ones (bad input,"
          + " safety) need --include-permanent.",
      "Resumable and exactly-once: the position is committed in consumer group --group in the"
          + " same Kafka transaction as the replayed jobs, so a second run continues after the"
          + " first and never replays a failure twice. The group's position covers every failure"
          + " read, matching or not: use another --group to replay with other filters.",
      "A replayed job gets the id <original jobId>.replay-<n> (the processor drops ids it has"
          + " seen) and the attributes editstream.replay=true, editstream.replay.of=<original"
          + " jobId> and editstream.attempts=<model calls so far>."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream replay --dry-run",
      "  editstream replay --code QUOTA_EXHAUSTED --code MODEL_UNAVAILABLE --rate 5",
      "  editstream replay --batch-id b-20260301T101530-0a1b2c --since 2h",
      "  editstream replay --include-permanent --code NO_IMAGE --group replay-no-image"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:at least one job replayed (or would be, with --dry-run)",
      "1:nothing matched",
      "2:usage error",
      "3:Kafka or the schema registry unreachable, or a topic is missing"
    })
public final class ReplayCommand implements Callable<Integer> {
  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  // Accepted for scripts that pass the same options to every command; not used, not listed.
  @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

  @Mixin RegistryOptions registry;

  @Mixin JobsTopicOption jobsTopic;

  @Mixin FailuresTopicOption failuresTopic;

  @Option(
      names = "--group",
      paramLabel = "GROUP",
      defaultValue = "editstream-replay",
      description = "Consumer group holding the position (default: ${DEFAULT-VALUE}).")
  String group;

  @Option(
      names = "--code",
      paramLabel = "CODE",
      description = "Replay only failures with this code (repeatable), e.g. QUOTA_EXHAUSTED.")
  List<FailureCode> codes = new ArrayList<>();

  @Option(
      names = "--retryable-only",
      negatable = true,
      // Superseded by --include-permanent (one flag for one idea); kept for existing scripts.
      hidden = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Replay retryable failures only (default). --no-retryable-only needs"
              + " --include-permanent.")
  boolean retryableOnly;

  @Option(
      names = "--include-permanent",
      description =
          "Also replay permanent failures (bad input, safety blocks, no image); without it only"
              + " retryable ones (quota, outage, timeout) are replayed.")
  boolean includePermanent;

  @Option(
      names = "--since",
      paramLabel = "TIME",
      description =
          "Only failures whose last error is at or after TIME (ISO-8601, or 2h = 2 hours ago).")
  String since;

  @Option(
      names = "--until",
      paramLabel = "TIME",
      description = "Only failures whose last error is before TIME (ISO-8601, or a duration ago).")
  String until;

  @Option(names = "--tenant", paramLabel = "NAME", description = "Only this tenant's failures.")
  String tenant;

  @Option(names = "--sku", paramLabel = "SKU", description = "Only this SKU's failures.")
  String sku;

  @Option(names = "--batch-id", paramLabel = "ID", description = "Only failures of this batch.")
  String batchId;

  @Option(
      names = "--max-replays",
      paramLabel = "N",
      defaultValue = "3",
      description = "Skip jobs already replayed N times (default: ${DEFAULT-VALUE}).")
  int maxReplays;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "0",
      description = "Replay at most N jobs per second (default: no limit).")
  double rate;

  @Option(
      names = "--dry-run",
      description =
          "Count what would be replayed from the group's position; send and commit nothing.")
  boolean dryRun;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "Give up when no record arrives for this long before the end is reached (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  private Clock clock;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    clock = ctx.clock();
    if (!retryableOnly && !includePermanent) {
      throw CliFailure.usage(
          "--no-retryable-only (now --include-permanent) replays permanent failures:"
              + " use --include-permanent");
    }
    ReplayFilter filter =
        new ReplayFilter(
            new HashSet<>(codes),
            includePermanent,
            time(ctx, "--since", since),
            time(ctx, "--until", until),
            tenant,
            sku,
            batchId,
            maxReplays);
    Connection conn = connection.resolve(ctx, registry, jobsTopic, failuresTopic);
    String topic = conn.topics().failures();
    List<TopicPartition> partitions =
        Clients.partitions(conn, topic, "editstream-cli-replay-check", "--failures-topic");
    Map<String, Object> config = conn.kafkaClient();
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "editstream-cli-replay");
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
    Deserializer<EditFailure> failures = Clients.deserializer(EditFailure.class, conn);
    Counts counts = new Counts();
    Progress progress =
        new Progress(ctx.err(), ctx.interactive() && !quiet, System::nanoTime, "failures read");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      Map<TopicPartition, Long> ends = new HashMap<>();
      if (dryRun) {
        consumer.assign(partitions);
        Map<TopicPartition, OffsetAndMetadata> committed =
            consumer.committed(new HashSet<>(partitions));
        for (TopicPartition p : partitions) {
          OffsetAndMetadata at = committed.get(p);
          if (at == null) {
            consumer.seekToBeginning(List.of(p));
          } else {
            consumer.seek(p, at.offset());
          }
        }
        ends.putAll(consumer.endOffsets(partitions));
        readAll(consumer, ends, failures, filter, counts, progress, null, conn);
      } else {
        consumer.subscribe(
            List.of(topic),
            new ConsumerRebalanceListener() {
              @Override
              public void onPartitionsRevoked(Collection<TopicPartition> revoked) {}

              @Override
              public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                // The end as of now: failures of the jobs we replay are for the next run.
                consumer.endOffsets(assigned).forEach(ends::putIfAbsent);
              }
            });
        try (KafkaProducer<String, EditJob> producer = transactionalProducer(conn)) {
          producer.initTransactions();
          readAll(consumer, ends, failures, filter, counts, progress, producer, conn);
        }
      }
    } catch (SerdeException e) {
      throw Clients.serdeFailure(e, conn);
    } finally {
      progress.finish();
    }
    print(ctx.out(), counts, conn);
    return counts.replayed() > 0 ? ExitCodes.OK : ExitCodes.FAILED;
  }

  private void readAll(
      KafkaConsumer<String, byte[]> consumer,
      Map<TopicPartition, Long> ends,
      Deserializer<EditFailure> failures,
      ReplayFilter filter,
      Counts counts,
      Progress progress,
      KafkaProducer<String, EditJob> producer,
      Connection conn) {
    Pacer pacer = Pacer.system(rate);
    String jobsTopic = conn.topics().jobs();
    long lastRecord = System.nanoTime();
    TransactionBatch<String, EditJob> txn =
        producer == null
            ? null
            : new TransactionBatch<>(
                producer,
                "another replay with the same --group running?",
                () -> consumer.groupMetadata());
    while (true) {
      List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
      consumer.poll(Duration.ofMillis(200)).forEach(batch::add);
      if (!batch.isEmpty()) {
        lastRecord = System.nanoTime();
      }
      for (ConsumerRecord<String, byte[]> r : batch) {
        counts.read++;
        EditFailure f;
        try {
          f = failures.deserialize(r.topic(), r.headers(), r.value());
        } catch (SerdeException e) {
          if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
            throw e;
          }
          counts.undecodable++;
          f = null;
        }
        if (f != null) {
          ReplayFilter.Decision decision = filter.decide(f);
          if (decision == ReplayFilter.Decision.REPLAY) {
            counts.byCode.merge(f.getCode(), 1, Integer::sum);
            if (txn != null) {
              try {
                pacer.acquire();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliFailure.infra(
                    "interrupted; nothing after the last commit was replayed", e);
              }
              EditJob job = ReplayJobs.replayOf(f, clock.instant().truncatedTo(ChronoUnit.MILLIS));
              txn.send(new ProducerRecord<>(jobsTopic, job.getJobId(), job));
            }
          } else {
            counts.skipped.merge(decision, 1, Integer::sum);
          }
        }
        if (txn != null) {
          txn.markRead(r);
        }
      }
      if (txn != null) {
        txn.commit();
      }
      progress.update(counts.read, 0, counts.replayed() + " to replay");
      if (!consumer.assignment().isEmpty() && caughtUp(consumer, ends)) {
        return;
      }
      if (System.nanoTime() - lastRecord > idleTimeout.toNanos()) {
        throw CliFailure.infra(
            "no failure record arrived for "
                + idleTimeout.toSeconds()
                + " s before the end of "
                + conn.topics().failures()
                + " was reached ("
                + counts.replayed()
                + " replayed and committed so far)",
            null);
      }
    }
  }

  private static boolean caughtUp(
      KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (TopicPartition p : consumer.assignment()) {
      Long end = ends.get(p);
      if (end == null || consumer.position(p) < end) {
        return false;
      }
    }
    return true;
  }

  private KafkaProducer<String, EditJob> transactionalProducer(Connection conn) {
    // One transactional id per group: a second replay of the same group fences the first.
    return Clients.transactionalProducer(
        conn,
        "editstream-cli-replay",
        "editstream-replay-" + group,
        new StringSerializer(),
        Clients.serializer(EditJob.class, conn));
  }

  private void print(PrintStream out, Counts counts, Connection conn) {
    int replayed = counts.replayed();
    StringBuilder codes = new StringBuilder();
    counts.byCode.forEach(
        (code, n) ->
            codes.append(codes.length() == 0 ? ": " : ", ").append(code).append(' ').append(n));
    out.printf(
        "%s %d job%s to %s (group %s)%s.%n",
        dryRun ? "Would replay" : "Replayed",
        replayed,
        replayed == 1 ? "" : "s",
        conn.topics().jobs(),
        group,
        codes);
    int skipped = counts.skipped.values().stream().mapToInt(Integer::intValue).sum();
    out.printf("Read %d failure%s; skipped %d", counts.read, counts.read == 1 ? "" : "s", skipped);
    Set<String> reasons = new LinkedHashSet<>();
    counts.skipped.forEach((d, n) -> reasons.add(reason(d) + " " + n));
    out.println(reasons.isEmpty() ? "." : " (" + String.join(", ", reasons) + ").");
    if (counts.undecodable > 0) {
      out.println(counts.undecodable + " record(s) could not be decoded and were skipped.");
    }
    if (counts.skipped.containsKey(ReplayFilter.Decision.PERMANENT)) {
      out.println(
          "Permanent failures are replayed only with --include-permanent (and another --group, if this one already read them).");
    }
    if (dryRun) {
      out.println(
          "Dry run: nothing was sent and the position of group " + group + " did not move.");
    }
  }

  private static String reason(ReplayFilter.Decision d) {
    return switch (d) {
      case PERMANENT -> "permanent";
      case OTHER_CODE -> "other code";
      case OUT_OF_TIME_RANGE -> "out of time range";
      case OTHER_TENANT -> "other tenant";
      case OTHER_SKU -> "other SKU";
      case OTHER_BATCH -> "other batch";
      case REPLAYED_TOO_OFTEN -> "replayed --max-replays times already";
      case REPLAY -> "replay";
    };
  }

  private static Instant time(CliContext ctx, String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      return Instant.parse(value.strip());
    } catch (DateTimeParseException notInstant) {
      try {
        return ctx.clock().instant().minus(DurationConverter.parse(value));
      } catch (RuntimeException e) {
        throw CliFailure.usage(
            option + " '" + value + "' is neither an ISO-8601 instant nor a duration (30m, 2h)");
      }
    }
  }

  private static final class Counts {
    long read;
    int undecodable;
    final Map<FailureCode, Integer> byCode = new EnumMap<>(FailureCode.class);
    final Map<ReplayFilter.Decision, Integer> skipped = new EnumMap<>(ReplayFilter.Decision.class);

    int replayed() {
      return byCode.values().stream().mapToInt(Integer::intValue).sum();
    }
  }
}
