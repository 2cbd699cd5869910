package io.editstream.cli.submit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.editstream.cli.ByteSizeConverter;
import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.DurationConverter;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.Progress;
import io.editstream.cli.blob.S3Location;
import io.editstream.cli.blob.S3Options;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobLookup;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaJobSink;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import io.editstream.cli.manifest.Manifest;
import io.editstream.cli.manifest.ManifestRow;
import io.editstream.cli.manifest.Manifests;
import io.editstream.cli.manifest.Problem;
import io.editstream.schema.EditJob;
import io.editstream.schema.Lanes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code editstream submit}: check every job, then send them all to the jobs topic. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Submit edit jobs from image files/folders or a manifest (CSV with a header row, or JSON"
          + " Lines).",
      "Every row and image is checked before the first record is sent; any problem is reported"
          + " with its line and field, and nothing is sent.",
      "Manifest columns: sku, images (paths or URLs, '|'-separated in CSV, an array in JSON"
          + " Lines), instruction, steps, format, aspect_ratio, size, priority, model, tenant,"
          + " job_id, bypass_cache, attributes (JSON object or k=v;k=v). Any other column is a"
          + " template variable: {{column}} in instruction, steps or job_id. A variable whose"
          + " value is a list (a|b|c, or an array) fans the row out: one job per value (per"
          + " combination with several).",
      "Job ids are derived from the job's content (see README), so submitting the same manifest"
          + " again sends jobs the processor already knows, and it drops them."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream submit --tenant shop --instruction 'remove the background' photos/",
      "  editstream submit --manifest catalogue.csv --batch-file b.json",
      "  editstream submit --manifest big.csv --blob-dir /shared/inputs",
      "  editstream submit --manifest banners.csv --fan-out locale=en,de,fr"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:all jobs sent (or checked, with --dry-run)",
      "2:usage or validation error: nothing was sent",
      "3:Kafka or the schema registry unreachable, or an I/O error"
    })
public final class SubmitCommand implements Callable<Integer> {
  private static final int SEEN_LISTED = 20;
  private static final DateTimeFormatter BATCH_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  @Mixin RegistryOptions registry;

  @Mixin JobsTopicOption jobsTopic;

  @Mixin ResultsTopicOption resultsTopic;

  @Mixin FailuresTopicOption failuresTopic;

  @Parameters(
      paramLabel = "IMAGE|FOLDER",
      arity = "0..*",
      description =
          "Image files, or folders of images (.jpg .jpeg .png .webp .heic .heif, recursively):"
              + " one job per image, SKU = file name without extension, {{file}} = file name.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--manifest", paramLabel = "FILE", description = "CSV or JSON Lines manifest.")
  Path manifest;

  @Option(
      names = "--instruction",
      paramLabel = "TEXT",
      description = "Instruction (template) for rows without an instruction column.")
  String instruction;

  @Option(
      names = "--step",
      paramLabel = "TEXT",
      description = "A follow-up turn (repeatable, in order) for rows without a steps column.")
  List<String> steps = new ArrayList<>();

  @Option(names = "--tenant", paramLabel = "NAME", description = "Tenant for rows without one.")
  String tenant;

  @Option(
      names = "--format",
      paramLabel = "png|jpeg|webp",
      defaultValue = "png",
      description = "Output format (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(
      names = "--aspect-ratio",
      paramLabel = "W:H",
      description =
          "Output aspect ratio (1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9 1:4 4:1 1:8 8:1);"
              + " default: keep the input's.")
  String aspectRatio;

  @Option(
      names = "--size",
      paramLabel = "512|1K|2K|4K",
      defaultValue = "1K",
      description = "Output long edge (default: ${DEFAULT-VALUE}).")
  String size;

  @Option(
      names = "--priority",
      paramLabel = "interactive|bulk",
      defaultValue = "bulk",
      description = "Scheduling class (default: ${DEFAULT-VALUE}).")
  String priority;

  @Option(names = "--model", paramLabel = "ID", description = "Model id; default: the processor's.")
  String model;

  @Option(names = "--bypass-cache", description = "Call the model even for edits already cached.")
  boolean bypassCache;

  @Option(
      names = "--lane",
      paramLabel = "batch|online",
      description =
          "Lane every job asks for (attribute editstream.lane): batch (the Gemini Batch API at half"
              + " price; answers take minutes to hours) or online. Default: the processor's"
              + " batch.lane decides (bulk: BULK jobs by batch; per-job: only jobs asking for"
              + " batch). A processor with batch.lane=off sends every job online.")
  String lane;

  @Option(
      names = "--attribute",
      paramLabel = "KEY=VALUE",
      description = "Attribute added to every job (repeatable); editstream.* keys are reserved.")
  Map<String, String> attributes = new LinkedHashMap<>();

  @Option(
      names = "--fan-out",
      paramLabel = "NAME=V1,V2,...",
      description =
          "Template variable with several values: every row becomes one job per value"
              + " (repeatable; several make every combination). A row's own column of the same"
              + " name wins.")
  Map<String, String> fanOut = new LinkedHashMap<>();

  @Option(
      names = "--batch-id",
      paramLabel = "ID",
      description =
          "Batch id put in every job's attributes (editstream.batch); default: generated.")
  String batchId;

  @Option(
      names = "--batch-file",
      paramLabel = "FILE",
      description = "Write the batch (id, jobs, their inputs) as JSON, for listen --batch-file.")
  Path batchFile;

  @Option(
      names = "--id-salt",
      paramLabel = "TEXT",
      description =
          "Mixed into derived job ids: change it to submit the same work again as new jobs.")
  String idSalt;

  @Option(
      names = "--inline-max-bytes",
      paramLabel = "SIZE",
      defaultValue = "512k",
      converter = ByteSizeConverter.class,
      description =
          "Images up to this size go inside the record (default: ${DEFAULT-VALUE}); larger ones by reference.")
  long inlineMaxBytes;

  @Option(
      names = "--blob-dir",
      paramLabel = "DIR",
      description =
          "Claim check: a folder the processor reads (its input.file.root). Larger images are"
              + " copied there (named by their SHA-256) and sent as file: URIs.")
  Path blobDir;

  @Option(
      names = "--blob-uri",
      paramLabel = "URI",
      description =
          "URI of --blob-dir as the processor sees it, when it mounts the folder elsewhere"
              + " (e.g. file:///data/inputs/); default: the folder's own file: URI.")
  URI blobUri;

  @Option(
      names = "--blob-s3",
      paramLabel = "s3://BUCKET/PREFIX/",
      description =
          "Claim check on an S3-compatible object store: larger images are uploaded there (named"
              + " by their SHA-256) and sent as s3:// URIs; no folder needs to be shared. The"
              + " processor must list the bucket in input.s3.allowed.buckets.")
  String blobS3;

  @Mixin S3Options s3Options;

  @Option(
      names = "--seen-check-window",
      paramLabel = "DURATION",
      defaultValue = "7d",
      converter = DurationConverter.class,
      description =
          "Before sending, look for the job ids on the outcome and jobs topics this far back"
              + " (default: ${DEFAULT-VALUE}, as long as the processor remembers finished job"
              + " ids). Jobs found are reported and not sent: the processor would drop them."
              + " 0 skips the check.")
  Duration seenCheckWindow;

  @Option(names = "--dry-run", description = "Check everything and print the jobs; send nothing.")
  boolean dryRun;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    if (blobDir != null && blobS3 != null) {
      throw CliFailure.usage("give either --blob-dir or --blob-s3, not both");
    }
    if (blobS3 != null) {
      try {
        S3Location.parse(blobS3);
      } catch (IllegalArgumentException e) {
        throw CliFailure.usage("--blob-s3: " + e.getMessage());
      }
    }
    String laneAsked = laneAsked();
    SubmitDefaults defaults = defaults();
    List<Problem> problems = new ArrayList<>();
    Plan plan;
    String source;
    if (manifest != null) {
      if (!inputs.isEmpty()) {
        throw CliFailure.usage("give either --manifest or image files/folders, not both");
      }
      Manifest m;
      try {
        m = Manifests.read(manifest);
      } catch (java.nio.file.NoSuchFileException e) {
        throw CliFailure.usage(
            "--manifest "
                + manifest
                + ": no such file (give a .csv or .jsonl manifest, or image files and folders"
                + " instead of --manifest)");
      } catch (IOException e) {
        throw CliFailure.usage("cannot read --manifest " + manifest + ": " + e.getMessage());
      }
      source = manifest.toString();
      problems.addAll(m.problems());
      if (m.rows().isEmpty() && m.problems().isEmpty()) {
        throw CliFailure.usage("manifest " + manifest + " has no rows");
      }
      plan = new JobPlanner(defaults).plan(m.rows(), m.baseDir());
    } else {
      if (inputs.isEmpty()) {
        throw CliFailure.usage("give image files or folders, or --manifest FILE");
      }
      source = "the arguments";
      Map<Integer, String> names = new HashMap<>();
      List<ManifestRow> rows = imageRows(inputs, names, problems);
      plan =
          new JobPlanner(defaults)
              .plan(rows, Path.of("").toAbsolutePath(), r -> names.get(r.line()));
    }
    problems.addAll(plan.problems());
    if (!problems.isEmpty()) {
      PrintStream err = ctx.err();
      err.println(
          "submit: "
              + problems.size()
              + (problems.size() == 1 ? " problem" : " problems")
              + " in "
              + source
              + "; nothing was sent:");
      problems.forEach(p -> err.println("  " + p));
      return ExitCodes.USAGE;
    }
    String batch = batchId != null ? batchId : newBatchId(ctx);
    if (dryRun) {
      printDryRun(ctx.out(), plan, batch);
      return ExitCodes.OK;
    }
    try (S3Client s3 = blobS3 == null ? null : s3Options.client(ctx)) {
      return submit(ctx, plan, batch, laneAsked, claimCheck(s3));
    }
  }

  private ClaimCheck claimCheck(S3Client s3) {
    if (s3 != null) {
      return new S3ClaimCheck(s3, S3Location.parse(blobS3));
    }
    return blobDir == null ? null : new FolderClaimCheck(blobDir, blobUri);
  }

  private int submit(
      CliContext ctx, Plan plan, String batch, String laneAsked, ClaimCheck claimCheck) {
    Connection conn = connection.resolve(ctx, registry, jobsTopic, resultsTopic, failuresTopic);
    Map<String, JobLookup.State> seen = seenBefore(ctx, conn, plan);
    List<PlannedJob> fresh =
        plan.jobs().stream().filter(j -> !seen.containsKey(j.jobId())).toList();
    long referenced = storeReferenced(ctx, fresh, claimCheck);
    Instant submittedAt = ctx.clock().instant().truncatedTo(ChronoUnit.MILLIS);
    long sent = send(ctx, conn, fresh, batch, laneAsked, submittedAt, claimCheck);
    if (batchFile != null) {
      writeBatchFile(plan, batch, conn, submittedAt);
    }
    PrintStream out = ctx.out();
    out.printf(
        Locale.ROOT,
        "Submitted %d job%s to %s, batch %s: %s of images inline%s%s.%n",
        sent,
        sent == 1 ? "" : "s",
        conn.topics().jobs(),
        batch,
        Sizes.human(plan.inlineBytes()),
        referenced > 0 ? ", " + referenced + " image(s) by reference in " + claimCheck.where() : "",
        plan.duplicates() > 0 ? "; " + plan.duplicates() + " duplicate row(s) skipped" : "");
    if (!seen.isEmpty()) {
      printSeen(out, plan, seen);
    }
    if (batchFile != null) {
      out.printf(
          "Follow the results: editstream listen --batch-file %s --out results/%n", batchFile);
    } else if (sent > 0) {
      out.printf(
          "Follow the results: editstream listen --batch-id %s --expect %d --out results/%s%n",
          batch,
          sent,
          seen.isEmpty() ? "" : " (the new jobs only; --batch-file also follows the earlier ones)");
    }
    return ExitCodes.OK;
  }

  /** Job ids of the plan Kafka already holds (an outcome, or the job waiting for one). */
  private Map<String, JobLookup.State> seenBefore(CliContext ctx, Connection conn, Plan plan) {
    if (seenCheckWindow.isZero() || seenCheckWindow.isNegative()) {
      return Map.of();
    }
    Progress progress =
        new Progress(
            ctx.err(),
            ctx.interactive() && !quiet,
            System::nanoTime,
            "records checked for seen ids");
    try {
      return JobLookup.find(
          conn,
          plan.jobs().stream().map(PlannedJob::jobId).toList(),
          ctx.clock().instant().minus(seenCheckWindow),
          progress);
    } finally {
      progress.finish();
    }
  }

  private void printSeen(PrintStream out, Plan plan, Map<String, JobLookup.State> seen) {
    Map<JobLookup.State, Integer> by = new EnumMap<>(JobLookup.State.class);
    seen.values().forEach(s -> by.merge(s, 1, Integer::sum));
    int ok = by.getOrDefault(JobLookup.State.DONE_OK, 0);
    int failed = by.getOrDefault(JobLookup.State.DONE_FAILED, 0);
    int waiting = by.getOrDefault(JobLookup.State.SUBMITTED, 0);
    List<String> parts = new ArrayList<>();
    if (ok > 0) {
      parts.add(ok + " done");
    }
    if (failed > 0) {
      parts.add(failed + " failed");
    }
    if (waiting > 0) {
      parts.add(waiting + " in progress");
    }
    out.printf(
        "%d of %d job%s were submitted before (%s); the processor will not run them again, so"
            + " they were not sent.%n",
        seen.size(),
        plan.jobs().size(),
        plan.jobs().size() == 1 ? "" : "s",
        String.join(", ", parts));
    int listed = 0;
    for (PlannedJob job : plan.jobs()) {
      JobLookup.State state = seen.get(job.jobId());
      if (state == null) {
        continue;
      }
      if (listed++ == SEEN_LISTED) {
        out.println("  ... and " + (seen.size() - SEEN_LISTED) + " more");
        break;
      }
      out.printf(
          "  %s  %s  sku=%s  %s%n",
          job.where(),
          job.jobId(),
          job.sku() == null ? "-" : job.sku(),
          switch (state) {
            case DONE_OK -> "done";
            case DONE_FAILED -> "failed (editstream replay retries retryable failures)";
            case SUBMITTED -> "in progress";
          });
    }
    out.printf(
        "To run them again as new jobs: --id-salt %s (any new text gives new job ids).%n",
        idSalt == null ? "1" : idSalt + "-2");
  }

  private long send(
      CliContext ctx,
      Connection conn,
      List<PlannedJob> jobs,
      String batch,
      String laneAsked,
      Instant submittedAt,
      ClaimCheck claimCheck) {
    Progress progress =
        new Progress(ctx.err(), ctx.interactive() && !quiet, System::nanoTime, "jobs sent");
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    int total = jobs.size();
    if (total == 0) {
      return 0;
    }
    try (JobSink sink = KafkaJobSink.open(conn)) {
      for (PlannedJob job : jobs) {
        if (failure.get() != null) {
          break;
        }
        EditJob record;
        try {
          record = JobRecords.toRecord(job, batch, laneAsked, submittedAt, claimCheck);
        } catch (IOException e) {
          throw new CliFailure(
              ExitCodes.INFRA,
              job.where() + ": " + e.getMessage() + " (" + acked.get() + " of " + total + " sent)",
              e);
        }
        sink.send(
            record,
            e -> {
              if (e == null) {
                acked.incrementAndGet();
              } else {
                failure.compareAndSet(null, e);
              }
            });
        progress.update(acked.get(), total, "");
      }
      sink.flush();
      progress.update(acked.get(), total, "");
    } finally {
      progress.finish();
    }
    if (failure.get() != null) {
      throw CliFailure.infra(
          "sending failed after "
              + acked.get()
              + " of "
              + total
              + " jobs: "
              + EditstreamCli.rootMessage(failure.get())
              + ". Run the same command again to send the rest: job ids are stable and the"
              + " processor drops the ones it already has.",
          failure.get());
    }
    return acked.get();
  }

  /** Copies by-reference images into the claim-check folder, each once; returns how many. */
  private long storeReferenced(CliContext ctx, List<PlannedJob> jobs, ClaimCheck claimCheck) {
    Map<String, PlannedImage.LocalFile> unique = new LinkedHashMap<>();
    for (PlannedJob job : jobs) {
      for (PlannedImage image : job.images()) {
        if (image instanceof PlannedImage.LocalFile f && !f.inline()) {
          unique.putIfAbsent(f.sha256(), f);
        }
      }
    }
    // One line of progress: a catalogue's uploads to S3 take minutes before the first job is sent.
    Progress progress =
        new Progress(
            ctx.err(), ctx.interactive() && !quiet, System::nanoTime, "images stored by reference");
    long stored = 0;
    try {
      for (PlannedImage.LocalFile f : unique.values()) {
        try {
          claimCheck.store(f);
        } catch (IOException e) {
          throw CliFailure.infra(
              "cannot store "
                  + f.path()
                  + " in "
                  + claimCheck.where()
                  + " after "
                  + stored
                  + " of "
                  + unique.size()
                  + " images: "
                  + e.getMessage()
                  + ". Run the same command again: stored images are not stored twice.",
              e);
        }
        progress.update(++stored, unique.size(), "");
      }
    } finally {
      progress.finish();
    }
    return unique.size();
  }

  private void writeBatchFile(Plan plan, String batch, Connection conn, Instant submittedAt) {
    BatchFile file =
        new BatchFile(
            1,
            batch,
            conn.topics().jobs(),
            submittedAt.toString(),
            plan.jobs().stream().map(BatchFile::entryOf).toList());
    try {
      file.write(batchFile);
    } catch (IOException e) {
      throw CliFailure.infra(
          "jobs were sent, but --batch-file "
              + batchFile
              + " could not be written: "
              + e.getMessage(),
          e);
    }
  }

  private void printDryRun(PrintStream out, Plan plan, String batch) {
    for (PlannedJob job : plan.jobs()) {
      StringBuilder images = new StringBuilder();
      for (PlannedImage image : job.images()) {
        if (images.length() > 0) {
          images.append(", ");
        }
        if (image instanceof PlannedImage.LocalFile f) {
          images
              .append(f.path().getFileName())
              .append(f.inline() ? " (inline, " : " (by reference, ")
              .append(Sizes.human(f.sizeBytes()))
              .append(')');
        } else {
          images.append(((PlannedImage.Remote) image).uri()).append(" (URL)");
        }
      }
      out.printf(
          "%s  %s  sku=%s  tenant=%s  %s/%s%s  [%s]  \"%s\"%n",
          job.where(),
          job.jobId(),
          job.sku() == null ? "-" : job.sku(),
          job.tenant(),
          job.format(),
          job.size(),
          job.aspectRatio() == null ? "" : "/" + job.aspectRatio(),
          images,
          abbreviate(job.instruction(), 80));
    }
    out.printf(
        "Dry run: %d job%s would be sent, batch %s, %s of images inline%s; nothing was sent.%n",
        plan.jobs().size(),
        plan.jobs().size() == 1 ? "" : "s",
        batch,
        Sizes.human(plan.inlineBytes()),
        plan.duplicates() > 0 ? ", " + plan.duplicates() + " duplicate row(s) skipped" : "");
  }

  /** The lane of {@code --lane}, normalised, or null; a usage error naming the accepted values. */
  private String laneAsked() {
    if (lane == null) {
      return null;
    }
    return Lanes.parse(lane)
        .orElseThrow(
            () ->
                CliFailure.usage(
                    "--lane: \""
                        + lane
                        + "\" is not accepted; use one of "
                        + String.join(", ", Lanes.ALL)));
  }

  private SubmitDefaults defaults() {
    Map<String, List<String>> fan = new LinkedHashMap<>();
    fanOut.forEach(
        (name, values) -> {
          List<String> list =
              Arrays.stream(values.split(","))
                  .map(String::strip)
                  .filter(v -> !v.isEmpty())
                  .toList();
          if (list.isEmpty()) {
            throw CliFailure.usage("--fan-out " + name + "= has no values");
          }
          fan.put(name.strip(), list);
        });
    if (inlineMaxBytes > SubmitDefaults.DEFAULT_RECORD_INLINE_BUDGET) {
      throw CliFailure.usage(
          "--inline-max-bytes must be at most "
              + SubmitDefaults.DEFAULT_RECORD_INLINE_BUDGET
              + " (Kafka's default record limit is 1 MiB)");
    }
    try {
      return new SubmitDefaults(
          tenant,
          instruction,
          steps,
          option("--format", format, Choices::format),
          aspectRatio == null ? null : option("--aspect-ratio", aspectRatio, Choices::aspectRatio),
          option("--size", size, Choices::size),
          option("--priority", priority, Choices::priority),
          model,
          bypassCache,
          attributes,
          fan,
          idSalt,
          inlineMaxBytes,
          SubmitDefaults.DEFAULT_RECORD_INLINE_BUDGET,
          blobDir != null || blobS3 != null);
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage("bad option value: " + e.getMessage());
    }
  }

  /** {@code parse(value)}, or a usage error naming {@code name} and the accepted values. */
  private static <T> T option(
      String name, String value, java.util.function.Function<String, T> parse) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw CliFailure.usage(name + ": " + e.getMessage());
    }
  }

  /** One row per image file; folders expand to the image files below them, sorted. */
  static List<ManifestRow> imageRows(
      List<Path> inputs, Map<Integer, String> names, List<Problem> problems) {
    List<ManifestRow> rows = new ArrayList<>();
    for (Path input : inputs) {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(input)) {
        try (Stream<Path> walk = Files.walk(input)) {
          walk.filter(Files::isRegularFile)
              .filter(p -> ImageType.fromExtension(p.getFileName().toString()).isPresent())
              .sorted()
              .forEach(files::add);
        } catch (IOException e) {
          problems.add(
              new Problem(input.toString(), "images", "cannot list folder: " + e.getMessage()));
          continue;
        }
        if (files.isEmpty()) {
          problems.add(
              new Problem(
                  input.toString(),
                  "images",
                  "folder has no image files (.jpg .jpeg .png .webp .heic .heif)"));
        }
      } else {
        files.add(input);
      }
      for (Path file : files) {
        int line = rows.size() + 1;
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.putArray("images").add(file.toAbsolutePath().toString());
        fields.put("sku", dot > 0 ? name.substring(0, dot) : name);
        fields.put("file", name);
        rows.add(new ManifestRow(line, fields));
        names.put(line, file.toString());
      }
    }
    return rows;
  }

  private static String newBatchId(CliContext ctx) {
    return "b-"
        + BATCH_TIME.format(ctx.clock().instant())
        + "-"
        + String.format("%06x", ctx.random().nextInt(1 << 24));
  }

  private static String abbreviate(String s, int max) {
    String one = s.replace('\n', ' ');
    return one.length() <= max ? one : one.substring(0, max - 1) + "…";
  }
}
