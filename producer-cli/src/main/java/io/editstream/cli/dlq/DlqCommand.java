package io.editstream.cli.dlq;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Progress;
import io.editstream.cli.blob.BlobReader;
import io.editstream.cli.blob.S3Options;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import io.editstream.cli.kafka.TopicScan;
import io.editstream.cli.kafka.TransactionBatch;
import io.editstream.cli.replay.Pacer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code editstream dlq}: list dead-lettered records and re-publish them after a fix. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "List the records the processor could not decode (topic edit-jobs-dlq) with the reason,"
          + " where they came from and whether they were re-published already.",
      "With --replay, re-publish the selected records to edit-jobs once the producer or the"
          + " registry is fixed: the original key and value bytes (a large value is read back from"
          + " its editstream.dlq.value.uri), the original headers without editstream.dlq.*, plus"
          + " editstream.republished-from=<dlq topic>:<partition>:<offset>.",
      "Exactly once and resumable: records are sent in Kafka transactions (transactional id"
          + " editstream-dlq-<dlq topic>, so a second run at the same time fences the first), and"
          + " a run first looks for that header on edit-jobs: a DLQ record re-published (and"
          + " committed) by any earlier run, finished or interrupted, is not sent again."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream dlq",
      "  editstream dlq --reason UNKNOWN_SCHEMA_ID",
      "  editstream dlq --replay --offset 0:17 --offset 1:4",
      "  editstream dlq --replay --reason UNKNOWN_SCHEMA_ID --rate 20",
      "  editstream dlq --replay --all --limit 1      # one first, to check the fix"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:listed; with --replay at least one record re-published (or would be, with --dry-run)",
      "1:--replay re-published nothing (no match, or all re-published before), or a record could"
          + " not be read",
      "2:usage error",
      "3:Kafka unreachable or a topic is missing"
    })
public final class DlqCommand implements Callable<Integer> {
  public static final String DEFAULT_DLQ_TOPIC = "edit-jobs-dlq";
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final int REASON_MAX = 160;

  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  // Accepted for scripts that pass the same options to every command; not used, not listed.
  @Mixin RegistryOptions.Ignored registryIgnored;

  @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

  @Mixin FailuresTopicOption.Ignored failuresTopicIgnored;

  @Mixin JobsTopicOption jobsTopic;

  @Mixin S3Options s3Options;

  @Option(
      names = "--dlq-topic",
      paramLabel = "NAME",
      defaultValue = DEFAULT_DLQ_TOPIC,
      description =
          "The processor's topic.dlq, prefix applied like the others (default: ${DEFAULT-VALUE}).")
  String dlqTopic;

  @Option(
      names = "--replay",
      description = "Re-publish the selected records to the jobs topic (needs a selection).")
  boolean replay;

  @Option(
      names = "--offset",
      paramLabel = "[PARTITION:]OFFSET",
      description =
          "Select the DLQ record at this position (repeatable); PARTITION: is needed when the DLQ"
              + " topic has several partitions.")
  List<String> offsets = new ArrayList<>();

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description =
          "Select records whose reason contains TEXT (case-insensitive), e.g. UNKNOWN_SCHEMA_ID.")
  String reason;

  @Option(names = "--all", description = "Select every record (for --replay).")
  boolean all;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Re-publish at most N records in this run; the next run goes on.")
  Integer limit;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "0",
      description = "Re-publish at most N records per second (default: no limit).")
  double rate;

  @Option(
      names = "--dry-run",
      description = "With --replay: show what would be re-published; send nothing.")
  boolean dryRun;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    if (!replay && (all || limit != null || dryRun)) {
      throw CliFailure.usage("--all, --limit and --dry-run go with --replay");
    }
    if (limit != null && limit < 1) {
      throw CliFailure.usage("--limit must be at least 1");
    }
    if (rate < 0) {
      throw CliFailure.usage("--rate must not be negative");
    }
    if (replay && offsets.isEmpty() && reason == null && !all) {
      throw CliFailure.usage(
          "--replay needs a selection: --offset [PARTITION:]OFFSET (repeatable), --reason TEXT,"
              + " or --all");
    }
    try {
      // The syntax first, before connecting; the partitions are checked against the topic below.
      DlqSelection.checkSyntax(offsets, reason, all);
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage(e.getMessage());
    }
    String topic = connection.prefixed(ctx, dlqTopic);
    Connection conn = connection.resolve(ctx, jobsTopic);
    List<TopicPartition> partitions =
        Clients.partitions(conn, topic, "editstream-cli-dlq-check", "--dlq-topic");
    DlqSelection selection;
    try {
      selection = DlqSelection.of(offsets, reason, all, partitions.size());
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage(e.getMessage());
    }
    if (replay && !selection.isExplicit()) {
      throw CliFailure.usage(
          "--replay needs a selection: --offset [PARTITION:]OFFSET (repeatable), --reason TEXT,"
              + " or --all");
    }
    boolean interactive = ctx.interactive() && !quiet;
    Progress reading = new Progress(ctx.err(), interactive, System::nanoTime, "DLQ records read");
    List<DeadLetter> selected = new ArrayList<>();
    Set<DlqSelection.Position> present = new HashSet<>();
    long[] total = {0};
    try {
      TopicScan.scan(
          conn,
          "editstream-cli-dlq",
          partitions,
          null,
          reading,
          r -> {
            total[0]++;
            DeadLetter d = DeadLetter.of(r);
            present.add(new DlqSelection.Position(d.partition(), d.offset()));
            if (selection.matches(d)) {
              // Listing needs no values; keep the bytes only of records to re-publish.
              selected.add(replay ? d : withoutValue(d));
            }
          });
    } finally {
      reading.finish();
    }
    PrintStream out = ctx.out();
    for (DlqSelection.Position p : selection.missing(present)) {
      out.println("No record at " + p + " in " + topic + ".");
    }
    if (!replay || dryRun) {
      Set<String> republished = republished(ctx, conn, topic, selected, interactive);
      print(out, topic, total[0], selected, republished);
      if (dryRun) {
        long would = selected.stream().filter(d -> !republished.contains(d.marker(topic))).count();
        if (limit != null) {
          would = Math.min(would, limit);
        }
        out.println(
            "Dry run: would re-publish "
                + would
                + " record"
                + (would == 1 ? "" : "s")
                + " to "
                + conn.topics().jobs()
                + "; nothing was sent.");
        return would > 0 ? ExitCodes.OK : ExitCodes.FAILED;
      }
      if (!selected.isEmpty() && selected.size() > republished.size()) {
        out.println(
            "Re-publish after fixing the producer: editstream dlq --replay with --offset"
                + " PARTITION:OFFSET, --reason TEXT or --all.");
      }
      return ExitCodes.OK;
    }
    return republish(ctx, conn, topic, selected, interactive);
  }

  private int republish(
      CliContext ctx,
      Connection conn,
      String topic,
      List<DeadLetter> selected,
      boolean interactive) {
    PrintStream out = ctx.out();
    String jobs = conn.topics().jobs();
    int sent = 0;
    int before = 0;
    List<String> unreadable = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
            Clients.transactionalProducer(
                conn,
                "editstream-cli-dlq",
                "editstream-dlq-" + topic,
                new ByteArraySerializer(),
                new ByteArraySerializer());
        BlobReader blobs = new BlobReader(() -> s3Options.client(ctx))) {
      // First fence any other run and abort its open transaction, then look: what it committed
      // is on the jobs topic now, and nobody else can commit more.
      producer.initTransactions();
      Set<String> republished = republished(ctx, conn, topic, selected, interactive);
      TransactionBatch<byte[], byte[]> txn =
          new TransactionBatch<>(producer, "another editstream dlq --replay running?", null);
      Pacer pacer = Pacer.system(rate);
      Progress progress =
          new Progress(ctx.err(), interactive, System::nanoTime, "records re-published");
      try {
        for (DeadLetter d : selected) {
          if (republished.contains(d.marker(topic))) {
            before++;
            continue;
          }
          if (limit != null && sent >= limit) {
            break;
          }
          byte[] value;
          try {
            value = value(d, blobs);
          } catch (IOException e) {
            unreadable.add(d.position() + ": " + e.getMessage());
            continue;
          }
          pacer.acquire();
          txn.send(new ProducerRecord<>(jobs, null, d.key(), value, headers(d, topic)));
          txn.commitIfDue();
          sent++;
          progress.update(sent, 0, "");
        }
        txn.commit();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CliFailure.infra(
            "interrupted; what was committed before stays re-published, run again for the rest", e);
      } finally {
        progress.finish();
      }
    } catch (KafkaException e) {
      throw CliFailure.infra(
          "Kafka error while re-publishing: "
              + EditstreamCli.rootMessage(e)
              + ". What was committed stays re-published; run again for the rest.",
          e);
    }
    out.printf(
        "Re-published %d record%s from %s to %s.%n", sent, sent == 1 ? "" : "s", topic, jobs);
    if (before > 0) {
      out.println(before + " selected record(s) were re-published before and were not sent again.");
    }
    int left = selected.size() - before - sent - unreadable.size();
    if (left > 0) {
      out.println(left + " selected record(s) left for the next run (--limit " + limit + ").");
    }
    unreadable.forEach(u -> out.println("Not re-published " + u));
    return sent > 0 && unreadable.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
  }

  /** Markers of the selected records found on the jobs topic (re-published and committed). */
  private Set<String> republished(
      CliContext ctx,
      Connection conn,
      String topic,
      List<DeadLetter> selected,
      boolean interactive) {
    Set<String> found = new HashSet<>();
    if (selected.isEmpty()) {
      return found;
    }
    // A re-publication comes after its DLQ record, which keeps the original record's time: read
    // the jobs topic from the oldest selected one only.
    long oldest = selected.stream().mapToLong(DeadLetter::timestamp).min().orElse(0);
    String jobs = conn.topics().jobs();
    Progress progress =
        new Progress(ctx.err(), interactive, System::nanoTime, "jobs scanned for re-publications");
    try {
      TopicScan.scan(
          conn,
          "editstream-cli-dlq-scan",
          Clients.partitions(conn, jobs, "editstream-cli-dlq-check", "--jobs-topic"),
          Instant.ofEpochMilli(Math.max(0, oldest)),
          progress,
          r -> {
            Header h = r.headers().lastHeader(DeadLetter.REPUBLISHED_FROM);
            if (h != null && h.value() != null) {
              String marker = new String(h.value(), StandardCharsets.UTF_8);
              if (marker.startsWith(topic + ":")) {
                found.add(marker);
              }
            }
          });
    } finally {
      progress.finish();
    }
    return found;
  }

  private static byte[] value(DeadLetter d, BlobReader blobs) throws IOException {
    if (d.valueUri() == null) {
      if (d.value() == null) {
        throw new IOException("it has no value (a tombstone): nothing to re-publish");
      }
      return d.value();
    }
    byte[] bytes = blobs.read(d.valueUri());
    if (d.valueSize() > 0 && bytes.length != d.valueSize()) {
      throw new IOException(
          d.valueUri() + " holds " + bytes.length + " bytes, the DLQ says " + d.valueSize());
    }
    return bytes;
  }

  private static Headers headers(DeadLetter d, String topic) {
    Headers h = new RecordHeaders();
    for (Header header : d.headers()) {
      if (!header.key().equals(DeadLetter.REPUBLISHED_FROM)) {
        h.add(header);
      }
    }
    h.add(DeadLetter.REPUBLISHED_FROM, d.marker(topic).getBytes(StandardCharsets.UTF_8));
    return h;
  }

  private void print(
      PrintStream out,
      String topic,
      long total,
      List<DeadLetter> selected,
      Set<String> republished) {
    String filtered =
        offsets.isEmpty() && reason == null ? "" : ", " + selected.size() + " selected";
    out.printf("%s: %d record%s%s.%n", topic, total, total == 1 ? "" : "s", filtered);
    if (selected.isEmpty()) {
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(
        new String[] {"RECORD", "DEAD-LETTERED (UTC)", "FROM", "KEY", "BYTES", "STATUS", "REASON"});
    for (DeadLetter d : selected) {
      String status = republished.contains(d.marker(topic)) ? "re-published" : "dead";
      String reasonText = d.reason().replaceAll("\\s+", " ");
      if (reasonText.length() > REASON_MAX) {
        reasonText = reasonText.substring(0, REASON_MAX - 1) + "…";
      }
      rows.add(
          new String[] {
            d.position(),
            TIME.format(d.deadLetteredAt()),
            d.source(),
            d.keyText(),
            d.valueUri() == null ? Long.toString(d.valueSize()) : d.valueSize() + " (blob)",
            status,
            reasonText
          });
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length - 1; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i < row.length - 1 ? String.format("%-" + width[i] + "s  ", row[i]) : row[i]);
      }
      out.println(line.toString().stripTrailing());
    }
    long done = selected.stream().filter(d -> republished.contains(d.marker(topic))).count();
    if (done > 0) {
      out.println(
          done + " of them re-published already (header " + DeadLetter.REPUBLISHED_FROM + ").");
    }
  }

  private static DeadLetter withoutValue(DeadLetter d) {
    return new DeadLetter(
        d.partition(),
        d.offset(),
        d.timestamp(),
        d.key(),
        null,
        d.valueUri(),
        d.valueSize(),
        d.sourceTopic(),
        d.sourcePartition(),
        d.sourceOffset(),
        d.exception(),
        d.message(),
        d.deadLetteredAt(),
        d.headers(),
        d.republishedFrom());
  }
}
