package io.editstream.cli.listen;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.DurationConverter;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Progress;
import io.editstream.cli.blob.BlobReader;
import io.editstream.cli.blob.S3Options;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobLookup;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import io.editstream.cli.replay.ReplayJobs;
import io.editstream.cli.submit.BatchFile;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import io.editstream.schema.OutputImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code editstream listen}: follow a batch's outcomes and collect its finished images. */
@Command(
    name = "listen",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Follow edit-results and edit-failures (read_committed) for one batch (--batch-id, or"
          + " --batch-file written by submit) or for everything; write finished images to"
          + " --out DIR/<sku or no-sku>/<source>-<variant>-<short id>.<ext>; end when the batch is complete (--expect"
          + " jobs have an outcome) or at --timeout; print counts by outcome, tokens and estimated"
          + " cost.",
      "A replayed job counts as the job it replays, so a later result replaces its failure.",
      "Without --group every partition is read: from the beginning with --from-beginning or when"
          + " following a batch, from --since, else from the end (new outcomes only). With"
          + " --group the position is committed once the outcomes before it are handled (their"
          + " images written and flushed to disk), so a second run goes on where the first"
          + " stopped, also after a power loss (POSIX systems); an image that"
          + " could not be saved is read again by the next run with the group."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream listen --batch-file b.json --out results/ --report report.html",
      "  editstream listen --batch-id b-20260301T101530-0a1b2c --expect 42 --out out/",
      "  editstream listen --timeout 1h        # everything new, for an hour"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every job of the batch has a result (or, without a batch size, no failure seen)",
      "1:some job failed, an image could not be saved, or the batch was not complete at --timeout",
      "2:usage error",
      "3:Kafka or the schema registry unreachable, or a topic is missing"
    })
public final class ListenCommand implements Callable<Integer> {
  private static final int FAILURES_LISTED = 20;

  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  @Mixin RegistryOptions registry;

  @Mixin JobsTopicOption jobsTopic;

  @Mixin ResultsTopicOption resultsTopic;

  @Mixin FailuresTopicOption failuresTopic;

  @Mixin S3Options s3Options;

  @Option(names = "--batch-id", paramLabel = "ID", description = "Only outcomes of this batch.")
  String batchId;

  @Option(
      names = "--batch-file",
      paramLabel = "FILE",
      description = "Batch file of submit --batch-file: batch id, size and input images.")
  Path batchFile;

  @Option(
      names = "--expect",
      paramLabel = "N",
      description = "Batch size: end when N jobs have an outcome.")
  Integer expect;

  @Option(names = "--out", paramLabel = "DIR", description = "Write finished images here.")
  Path out;

  @Option(
      names = "--report",
      paramLabel = "FILE.html",
      description =
          "Write an HTML report: before/after thumbnails, instruction, provider, cost per job,"
              + " failure reasons with the next step, filter by status. \"Before\" images and"
              + " instructions come from --batch-file, or from the job inside a failure.")
  Path report;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "10m",
      converter = DurationConverter.class,
      description = "Stop waiting after this long (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--group",
      paramLabel = "GROUP",
      description = "Consumer group: commit the position so the next run resumes.")
  String group;

  @Option(
      names = "--from-beginning",
      description = "Read the topics from their start (without --group).")
  boolean fromBeginning;

  @Option(
      names = "--since",
      paramLabel = "TIME",
      description = "Read outcomes published since TIME: ISO-8601 instant or a duration ago (30m).")
  String since;

  @Option(
      names = "--price-per-million-output-tokens",
      paramLabel = "USD",
      defaultValue = "" + Pricing.DEFAULT_OUTPUT_PER_MILLION,
      description =
          "For the cost estimate of results without the processor's estimate (default:"
              + " ${DEFAULT-VALUE}, Gemini 3.1 Flash Image output images, AI Studio paid tier,"
              + " early 2026: about $0.067 per 1K image).")
  double outputPrice;

  @Option(
      names = "--price-per-million-input-tokens",
      paramLabel = "USD",
      defaultValue = "" + Pricing.DEFAULT_INPUT_PER_MILLION,
      description = "Input token price for the estimate (default: ${DEFAULT-VALUE}).")
  double inputPrice;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  @Option(
      names = "--per-job",
      description =
          "Print one line per job after the summary: job id, SKU, outcome, lane (online or"
              + " batch) and cost.")
  boolean perJob;

  private final Set<String> checkedFailures = new HashSet<>();

  // How a written image's directory reaches the disk; tests make it fail.
  ImageFiles.DirectorySync directorySync = ImageFiles::syncDirectory;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    BatchFile batch = readBatchFile();
    String batchFilter = batchId != null ? batchId : batch == null ? null : batch.batchId();
    Integer expected = expect != null ? expect : batch == null ? null : batch.jobs().size();
    if (expected != null && expected < 1) {
      throw CliFailure.usage("--expect must be at least 1");
    }
    if (group != null && (fromBeginning || since != null)) {
      throw CliFailure.usage("--from-beginning and --since work without --group only");
    }
    Pricing pricing;
    try {
      pricing = new Pricing(inputPrice, outputPrice);
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage(e.getMessage());
    }
    OutcomeReader.Start start = start(ctx, batchFilter);
    Connection conn = connection.resolve(ctx, registry, jobsTopic, resultsTopic, failuresTopic);
    BatchTracker tracker =
        new BatchTracker(
            batchFilter,
            batch == null
                ? Set.of()
                : batch.jobs().stream().map(BatchFile.Entry::jobId).collect(Collectors.toSet()),
            expected);
    BlobReader blobs = new BlobReader(() -> s3Options.client(ctx));
    ImageFiles files = out == null ? null : new ImageFiles(out, blobs, directorySync);
    Map<String, List<Path>> written = new HashMap<>();
    Map<String, String> saveErrors = new LinkedHashMap<>();
    String flushError = null;
    boolean warnedUnflushable = false;
    List<OutcomeReader.Undecodable> undecodable = new ArrayList<>();
    Progress progress =
        new Progress(ctx.err(), ctx.interactive() && !quiet, System::nanoTime, "jobs done");
    long begin = System.nanoTime();
    long deadline = begin + timeout.toNanos();
    boolean timedOut = false;
    boolean interrupted = false;
    try (blobs;
        OutcomeReader reader = OutcomeReader.open(conn, group, start)) {
      Thread hook = new Thread(reader::wakeup, "editstream-listen-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        while (true) {
          for (OutcomeReader.Polled polled : reader.poll(Duration.ofMillis(200))) {
            boolean saved = true;
            if (polled.outcome() instanceof EditResult r) {
              if (tracker.accept(r) && files != null) {
                String id = BatchTracker.logicalId(r.getJobId(), r.getAttributes());
                try {
                  written.put(id, files.write(r, id));
                  saveErrors.remove(id);
                } catch (IOException e) {
                  saveErrors.put(id, e.getMessage());
                  saved = false;
                }
              }
            } else if (polled.outcome() instanceof EditFailure f) {
              tracker.accept(f);
            } else {
              undecodable.add((OutcomeReader.Undecodable) polled.outcome());
            }
            if (saved) {
              reader.handled(polled);
            } else {
              reader.retryLater(polled); // with --group, the next run reads it again
            }
          }
          if (files != null && group != null) {
            try {
              files.flush(); // the images' names on disk before their outcomes are committed
            } catch (IOException e) {
              flushError = e.getMessage();
              break; // nothing further committed: the next run with --group reads them again
            }
            if (!warnedUnflushable && files.unflushable().isPresent()) {
              warnedUnflushable = true;
              ctx.err()
                  .println(
                      "warning: "
                          + files.unflushable().get()
                          + ": a power loss may lose images of the last seconds although the"
                          + " group has moved past them; use a local disk for --out where that"
                          + " matters");
            }
          }
          // With --group: only after the images are on disk, so a crash cannot skip them.
          reader.commit();
          progress.update(
              tracker.done(),
              expected == null ? 0 : expected,
              tracker.replaysAwaited() == 0
                  ? ""
                  : tracker.replaysAwaited() + " waiting for their replay");
          if (tracker.complete() && reader.caughtUp() && !replaysPublished(conn, tracker)) {
            break;
          }
          if (System.nanoTime() > deadline) {
            timedOut = true;
            break;
          }
        }
      } catch (WakeupException e) {
        interrupted = true;
      } finally {
        progress.finish();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // Ctrl-C: the JVM is exiting; the summary below is still printed.
        }
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    BatchTracker.Summary summary = tracker.summary(pricing);
    printSummary(
        ctx.out(),
        tracker,
        summary,
        batchFilter,
        took,
        timedOut,
        interrupted,
        written,
        saveErrors,
        flushError,
        undecodable,
        pricing);
    if (perJob) {
      printJobs(ctx.out(), tracker, pricing);
    }
    if (report != null) {
      writeReport(ctx, tracker, summary, batch, batchFilter, pricing, written);
    }
    boolean incomplete = expected != null && !tracker.complete();
    return summary.failed() > 0
            || incomplete
            || !saveErrors.isEmpty()
            || flushError != null
            || interrupted
        ? ExitCodes.FAILED
        : ExitCodes.OK;
  }

  /**
   * Whether a failed job of the batch has a replay on the jobs topic (published by {@code
   * editstream replay} after the failure) that has no outcome yet: then the batch is not done. A
   * replay's id is derived ({@code <jobId>.replay-<n>}), so only its partition is read, from the
   * failure's time. Each failure is looked at once.
   */
  private boolean replaysPublished(Connection conn, BatchTracker tracker) {
    Map<String, String> replayIds = new HashMap<>();
    Instant oldest = null;
    for (Object o : tracker.outcomes()) {
      if (o instanceof EditFailure f && f.getJob() != null && checkedFailures.add(f.getJobId())) {
        String replayId =
            ReplayJobs.originalId(f.getJob())
                + ".replay-"
                + (ReplayJobs.replayNumber(f.getJob()) + 1);
        replayIds.put(replayId, BatchTracker.logicalId(f.getJobId(), f.getAttributes()));
        Instant at = f.getFirstErrorAt();
        if (at != null && (oldest == null || at.isBefore(oldest))) {
          oldest = at;
        }
      }
    }
    if (replayIds.isEmpty()) {
      return false;
    }
    Map<String, JobLookup.State> found =
        JobLookup.find(
            conn, replayIds.keySet(), oldest == null ? null : oldest.minusSeconds(60), null);
    // A replay already answered: without --group its outcome is read like any other (just
    // committed, or read already and then the failure is no longer final); a group may have read
    // it in an earlier run, so then only replays still in progress are waited for.
    found.forEach(
        (id, state) -> {
          if (state == JobLookup.State.SUBMITTED || group == null) {
            tracker.awaitReplay(replayIds.get(id), id);
          }
        });
    return tracker.replaysAwaited() > 0;
  }

  private BatchFile readBatchFile() {
    if (batchFile == null) {
      return null;
    }
    try {
      return BatchFile.read(batchFile);
    } catch (IOException e) {
      throw CliFailure.usage("cannot read --batch-file " + batchFile + ": " + e.getMessage());
    }
  }

  private OutcomeReader.Start start(CliContext ctx, String batchFilter) {
    if (since != null) {
      Instant at;
      try {
        at = Instant.parse(since.strip());
      } catch (DateTimeParseException notInstant) {
        try {
          at = ctx.clock().instant().minus(DurationConverter.parse(since));
        } catch (RuntimeException e) {
          throw CliFailure.usage(
              "--since '" + since + "' is neither an ISO-8601 instant nor a duration (30m, 2h)");
        }
      }
      return new OutcomeReader.FromTime(at);
    }
    if (fromBeginning || batchFilter != null) {
      return new OutcomeReader.FromBeginning();
    }
    return new OutcomeReader.FromEnd();
  }

  private void printSummary(
      PrintStream o,
      BatchTracker tracker,
      BatchTracker.Summary s,
      String batchFilter,
      Duration took,
      boolean timedOut,
      boolean interrupted,
      Map<String, List<Path>> written,
      Map<String, String> saveErrors,
      String flushError,
      List<OutcomeReader.Undecodable> undecodable,
      Pricing pricing) {
    String scope = batchFilter == null ? "All outcomes" : "Batch " + batchFilter;
    String count =
        tracker.expected() == null
            ? tracker.done() + " jobs"
            : tracker.done() + " of " + tracker.expected() + " jobs";
    String end =
        interrupted
            ? " (stopped)"
            : timedOut ? " (timed out after " + human(took) + ")" : " in " + human(took);
    o.println(scope + ": " + count + " done" + end);
    if (!tracker.earlier().isEmpty()) {
      o.printf(
          Locale.ROOT,
          "  earlier     %d (submitted before, in another batch: not run again; their earlier"
              + " outcomes are counted)%n",
          tracker.earlier().size());
    }
    o.printf(Locale.ROOT, "  ok          %d%n", s.ok());
    o.printf(Locale.ROOT, "  cached      %d%n", s.cached());
    StringBuilder byCode = new StringBuilder();
    for (Map.Entry<FailureCode, Integer> e : s.failures().entrySet()) {
      byCode
          .append(byCode.length() == 0 ? "  (" : ", ")
          .append(e.getKey())
          .append(' ')
          .append(e.getValue());
    }
    o.printf(
        Locale.ROOT, "  failed      %d%s%n", s.failed(), byCode.length() == 0 ? "" : byCode + ")");
    o.printf(
        Locale.ROOT,
        "  tokens      prompt %,d, output %,d (images %,d)%n",
        s.promptTokens(),
        s.outputTokens(),
        s.outputImageTokens());
    o.printf(
        Locale.ROOT,
        "  est. cost   $%.4f (%s)%n",
        s.costUsd(),
        s.resultsWithReportedCost() > 0
            ? "processor estimates, tokens × price for the rest"
            : String.format(
                Locale.ROOT, "$%.2f/M output, $%.2f/M input tokens", outputPrice, inputPrice));
    o.println("  lanes       " + LaneCosts.of(tracker.outcomes(), pricing).line());
    if (out != null) {
      int n = written.values().stream().mapToInt(List::size).sum();
      o.println("  images      " + n + " written to " + out);
    }
    saveErrors.forEach((id, m) -> o.println("  not saved   " + id + ": " + m));
    if (flushError != null) {
      o.println(
          "  not flushed images written since the last commit ("
              + flushError
              + "): stopped without committing them; the next run with --group writes them again");
    }
    if (!undecodable.isEmpty()) {
      OutcomeReader.Undecodable first = undecodable.get(0);
      o.println(
          "  undecodable "
              + undecodable.size()
              + " record(s), first "
              + first.topic()
              + "-"
              + first.partition()
              + "@"
              + first.offset()
              + ": "
              + first.reason());
    }
    List<EditFailure> failures =
        tracker.outcomes().stream()
            .filter(EditFailure.class::isInstance)
            .map(EditFailure.class::cast)
            .toList();
    if (!failures.isEmpty()) {
      o.println("Failures:");
      failures.stream()
          .limit(FAILURES_LISTED)
          .forEach(
              f ->
                  o.printf(
                      "  %s  sku=%s  %s (%s, %d attempt%s): %s%n    next step: %s%n",
                      BatchTracker.logicalId(f.getJobId(), f.getAttributes()),
                      f.getSku() == null ? "-" : f.getSku(),
                      f.getCode(),
                      f.getRetryable() ? "retryable" : "permanent",
                      f.getAttempts(),
                      f.getAttempts() == 1 ? "" : "s",
                      f.getMessage(),
                      NextStep.of(f)));
      if (failures.size() > FAILURES_LISTED) {
        o.println("  ... and " + (failures.size() - FAILURES_LISTED) + " more");
      }
      if (failures.stream().anyMatch(EditFailure::getRetryable)) {
        o.println(
            "Replay the retryable ones: editstream replay"
                + (batchFilter == null ? "" : " --batch-id " + batchFilter));
      }
    }
  }

  /** One line per job: id, SKU, outcome, lane and cost. */
  static void printJobs(PrintStream o, BatchTracker tracker, Pricing pricing) {
    o.println("Jobs:");
    for (Object outcome : tracker.outcomes()) {
      if (outcome instanceof EditResult r) {
        o.printf(
            Locale.ROOT,
            "  %s  sku=%s  %s  lane=%s  $%.4f%n",
            BatchTracker.logicalId(r.getJobId(), r.getAttributes()),
            r.getSku() == null ? "-" : r.getSku(),
            r.getCacheHit() ? "cached" : "ok",
            LaneCosts.shown(r.getLane()),
            cost(r, pricing));
      } else if (outcome instanceof EditFailure f) {
        o.printf(
            Locale.ROOT,
            "  %s  sku=%s  %s  lane=%s  -%n",
            BatchTracker.logicalId(f.getJobId(), f.getAttributes()),
            f.getSku() == null ? "-" : f.getSku(),
            f.getCode(),
            LaneCosts.shown(f.getLane()));
      }
    }
  }

  private void writeReport(
      CliContext ctx,
      BatchTracker tracker,
      BatchTracker.Summary s,
      BatchFile batch,
      String batchFilter,
      Pricing pricing,
      Map<String, List<Path>> written) {
    Map<String, BatchFile.Entry> entries = new HashMap<>();
    if (batch != null) {
      batch.jobs().forEach(e -> entries.put(e.jobId(), e));
    }
    Path reportDir = report.toAbsolutePath().getParent();
    HtmlReport html =
        new HtmlReport("Editstream " + (batchFilter == null ? "outcomes" : "batch " + batchFilter));
    html.summaryLine(
        s.ok()
            + " ok, "
            + s.cached()
            + " cached, "
            + s.failed()
            + " failed"
            + (tracker.expected() == null ? "" : " of " + tracker.expected()));
    html.summaryLine(
        String.format(
            Locale.ROOT,
            "%,d output tokens, estimated cost of the batch $%.4f",
            s.outputTokens(),
            s.costUsd()));
    LaneCosts lanes = LaneCosts.of(tracker.outcomes(), pricing);
    html.summaryLine("Lanes: " + lanes.line());
    html.batchSaving(lanes);
    for (Object o : tracker.outcomes()) {
      if (o instanceof EditResult r) {
        String id = BatchTracker.logicalId(r.getJobId(), r.getAttributes());
        BatchFile.Entry entry = entries.get(id);
        List<String> after = new ArrayList<>();
        List<Path> files = written.get(id);
        if (files != null) {
          files.forEach(
              f ->
                  after.add(
                      reportDir.relativize(f.toAbsolutePath()).toString().replace('\\', '/')));
        } else {
          for (OutputImage image : r.getImages()) {
            after.add(
                image.getData() != null
                    ? dataUri(image.getMimeType(), image.getData())
                    : image.getUri());
          }
        }
        html.add(
            new HtmlReport.Row(
                r.getJobId(),
                r.getSku(),
                r.getCacheHit() ? "cached" : "ok",
                false,
                entry == null ? null : entry.instruction(),
                servedBy(r),
                cost(r, pricing),
                replayOf(r.getJobId(), id),
                null,
                r.getText() == null ? "" : r.getText(),
                entry == null
                    ? List.of()
                    : entry.inputs().stream().map(ListenCommand::source).toList(),
                after,
                LaneCosts.shown(r.getLane())));
      } else {
        EditFailure f = (EditFailure) o;
        String id = BatchTracker.logicalId(f.getJobId(), f.getAttributes());
        BatchFile.Entry entry = entries.get(id);
        List<String> before = new ArrayList<>();
        if (entry != null) {
          entry.inputs().forEach(i -> before.add(source(i)));
        } else {
          for (InputImage image : f.getJob().getImages()) {
            before.add(
                image.getData() != null
                    ? dataUri(image.getMimeType(), image.getData())
                    : image.getUri());
          }
        }
        html.add(
            new HtmlReport.Row(
                f.getJobId(),
                f.getSku(),
                f.getCode().name(),
                true,
                instruction(f.getJob()),
                f.getJob().getModel() == null ? null : "model " + f.getJob().getModel(),
                null,
                replayOf(f.getJobId(), id),
                NextStep.of(f),
                (f.getRetryable() ? "retryable" : "permanent")
                    + ", "
                    + f.getAttempts()
                    + " attempt(s): "
                    + f.getMessage(),
                before,
                List.of(),
                LaneCosts.shown(f.getLane())));
      }
    }
    try {
      html.write(report);
      ctx.out().println("Report: " + report);
    } catch (IOException e) {
      throw CliFailure.infra("cannot write --report " + report + ": " + e.getMessage(), e);
    }
  }

  /** Provider and model, or the dedup cache. */
  static String servedBy(EditResult r) {
    if (r.getCacheHit()) {
      return "dedup cache (no model call)";
    }
    return (r.getProvider() == null ? "model" : r.getProvider()) + " \u00b7 " + r.getModel();
  }

  /** The processor's estimate, else tokens × price; a cache hit costs nothing. */
  static double cost(EditResult r, Pricing pricing) {
    return LaneCosts.cost(r, pricing);
  }

  private static String replayOf(String jobId, String logicalId) {
    return jobId.equals(logicalId) ? null : logicalId;
  }

  private static String instruction(EditJob job) {
    if (job == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder(job.getInstruction());
    job.getSteps().forEach(step -> sb.append(" | then: ").append(step.getInstruction()));
    return sb.toString();
  }

  private static String source(String input) {
    return input.contains("://") ? input : Path.of(input).toUri().toString();
  }

  private static String dataUri(String mimeType, ByteBuffer data) {
    ByteBuffer b = data.duplicate();
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return "data:" + mimeType + ";base64," + Base64.getEncoder().encodeToString(bytes);
  }

  private static String human(Duration d) {
    long s = d.toSeconds();
    return s < 60 ? s + " s" : s / 60 + " min " + s % 60 + " s";
  }
}
