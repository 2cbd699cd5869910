package io.editstream.cli.submit;

import io.editstream.cli.manifest.ManifestRow;
import io.editstream.cli.manifest.Problem;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Turns manifest rows into checked jobs, or into the complete list of what is wrong with them.
 *
 * <p>Every row is checked in full (all its fields, all its images), so one run reports every
 * problem. Local images are read once each (type sniffed from the bytes, size, SHA-256); URLs are
 * not fetched. Fan-out: a column whose value is a list ({@code a|b|c} in CSV, an array in JSON
 * Lines) and that a template uses, and every {@code --fan-out} variable, multiply the row: one job
 * per combination.
 */
public final class JobPlanner {
  public static final int MAX_IMAGES = 16;
  public static final long MAX_IMAGE_BYTES = 20L * 1024 * 1024;
  public static final int MAX_INSTRUCTION_CHARS = 10_000;
  public static final int MAX_STEPS = 8;
  public static final int MAX_JOB_ID_CHARS = 256;
  public static final int MAX_JOBS_PER_ROW = 1_000;

  /** Columns with a meaning of their own; every other column is a template variable. */
  public static final Set<String> RESERVED =
      Set.of(
          "sku",
          "images",
          "image",
          "instruction",
          "steps",
          "format",
          "aspect_ratio",
          "size",
          "priority",
          "model",
          "tenant",
          "job_id",
          "bypass_cache",
          "attributes");

  private static final String RESERVED_ATTRIBUTE_PREFIX = "editstream.";

  private final SubmitDefaults defaults;
  private final ImageInspector inspector;

  public JobPlanner(SubmitDefaults defaults) {
    this.defaults = defaults;
    this.inspector = new ImageInspector(MAX_IMAGE_BYTES);
  }

  /**
   * Checks every row and plans its jobs.
   *
   * @param baseDir folder relative image paths are resolved against
   * @param where how to name a row in a problem, e.g. {@code line 7}
   */
  public Plan plan(List<ManifestRow> rows, Path baseDir, Function<ManifestRow, String> where) {
    List<PlannedJob> jobs = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    Map<String, String> seenIds = new HashMap<>();
    int duplicates = 0;
    for (ManifestRow row : rows) {
      RowPlan rowPlan = new RowPlan(row, baseDir, where.apply(row));
      List<PlannedJob> planned = rowPlan.plan();
      problems.addAll(rowPlan.problems);
      for (PlannedJob job : planned) {
        String earlier = seenIds.putIfAbsent(job.jobId(), job.where());
        if (earlier == null) {
          jobs.add(job);
        } else if (rowPlan.explicitId) {
          problems.add(
              new Problem(
                  job.where(),
                  "job_id",
                  "duplicate job id " + job.jobId() + " (also " + earlier + ")"));
        } else {
          duplicates++;
        }
      }
    }
    return new Plan(problems.isEmpty() ? jobs : List.of(), problems, duplicates);
  }

  /** Plans with rows named {@code line N}. */
  public Plan plan(List<ManifestRow> rows, Path baseDir) {
    return plan(rows, baseDir, r -> "line " + r.line());
  }

  /** The checking of one row; collects its problems instead of stopping at the first. */
  private final class RowPlan {
    private final ManifestRow row;
    private final Path baseDir;
    private final String where;
    private final List<Problem> problems = new ArrayList<>();
    private boolean explicitId;

    RowPlan(ManifestRow row, Path baseDir, String where) {
      this.row = row;
      this.baseDir = baseDir;
      this.where = where;
    }

    List<PlannedJob> plan() {
      String tenant = attempt("tenant", () -> row.text("tenant").orElse(defaults.tenant()));
      if (tenant == null || tenant.isBlank()) {
        if (problems.stream().noneMatch(p -> p.field().equals("tenant"))) {
          problem("tenant", "missing: add a tenant column or give --tenant");
        }
      } else if (tenant.length() > MAX_JOB_ID_CHARS) {
        problem(
            "tenant", "is " + tenant.length() + " characters long, at most " + MAX_JOB_ID_CHARS);
      }
      String sku = attempt("sku", () -> row.text("sku").orElse(null));
      List<PlannedImage> images = images();
      Template instruction = instruction();
      List<Template> steps = steps();
      ImageFormat format =
          attempt(
              "format", () -> row.text("format").map(Choices::format).orElse(defaults.format()));
      String aspectRatio =
          attempt(
              "aspect_ratio",
              () ->
                  row.text("aspect_ratio")
                      .map(Choices::aspectRatio)
                      .orElse(defaults.aspectRatio()));
      ImageSize size =
          attempt("size", () -> row.text("size").map(Choices::size).orElse(defaults.size()));
      Priority priority =
          attempt(
              "priority",
              () -> row.text("priority").map(Choices::priority).orElse(defaults.priority()));
      String model = attempt("model", () -> row.text("model").orElse(defaults.model()));
      Boolean bypass =
          attempt(
              "bypass_cache",
              () -> row.text("bypass_cache").map(Choices::bool).orElse(defaults.bypassCache()));
      Template jobId =
          attempt("job_id", () -> row.text("job_id").map(Template::parse).orElse(null));
      explicitId = jobId != null;
      Map<String, String> attributes = attributes();

      // Template variables: the row's own columns, sku and tenant; lists fan out.
      Map<String, String> single = new LinkedHashMap<>();
      Map<String, List<String>> lists = new LinkedHashMap<>();
      if (sku != null) {
        single.put("sku", sku);
      }
      if (tenant != null) {
        single.put("tenant", tenant);
      }
      for (String column : row.columns()) {
        if (RESERVED.contains(column)) {
          continue;
        }
        List<String> values = attempt(column, () -> row.list(column));
        if (values == null || values.isEmpty()) {
          continue;
        }
        if (row.isList(column)) {
          lists.put(column, values);
        } else {
          single.put(column, row.text(column).orElseThrow().strip());
        }
      }
      Set<String> used = new LinkedHashSet<>();
      if (instruction != null) {
        used.addAll(instruction.variables());
      }
      steps.forEach(s -> used.addAll(s.variables()));
      if (jobId != null) {
        used.addAll(jobId.variables());
      }
      Map<String, List<String>> fanOut = new LinkedHashMap<>();
      lists.forEach(
          (name, values) -> {
            if (used.contains(name)) {
              fanOut.put(name, values);
            } else {
              // Not used by any template: the cell is plain text, not a fan-out list.
              single.put(name, row.text(name).orElseThrow().strip());
            }
          });
      defaults
          .fanOut()
          .forEach(
              (name, values) -> {
                if (!single.containsKey(name) && !fanOut.containsKey(name)) {
                  fanOut.put(name, values);
                }
              });
      checkVariables("instruction", instruction, single, fanOut);
      steps.forEach(s -> checkVariables("steps", s, single, fanOut));
      checkVariables("job_id", jobId, single, fanOut);

      long combinations = 1;
      for (List<String> values : fanOut.values()) {
        combinations *= values.size();
        if (combinations > MAX_JOBS_PER_ROW) {
          break;
        }
      }
      if (combinations > MAX_JOBS_PER_ROW) {
        problem(
            "fan-out",
            "makes more than " + MAX_JOBS_PER_ROW + " jobs from one row (" + fanOut.keySet() + ")");
      }
      if (!problems.isEmpty()) {
        return List.of();
      }

      List<PlannedJob> jobs = new ArrayList<>();
      Set<String> renderProblems = new LinkedHashSet<>();
      for (Map<String, String> combination : combinations(fanOut)) {
        Map<String, String> values = new LinkedHashMap<>(single);
        values.putAll(combination);
        String text = instruction.render(values).strip();
        if (text.isEmpty()) {
          renderProblems.add("instruction|is blank");
        } else if (text.length() > MAX_INSTRUCTION_CHARS) {
          renderProblems.add(
              "instruction|is "
                  + text.length()
                  + " characters long, at most "
                  + MAX_INSTRUCTION_CHARS);
        }
        List<String> stepTexts = new ArrayList<>();
        for (Template step : steps) {
          String s = step.render(values).strip();
          if (s.isEmpty()) {
            renderProblems.add("steps|a step is blank");
          }
          stepTexts.add(s);
        }
        String id;
        if (jobId != null) {
          id = jobId.render(values).strip();
          if (id.isEmpty() || id.length() > MAX_JOB_ID_CHARS) {
            renderProblems.add("job_id|must be 1 to " + MAX_JOB_ID_CHARS + " characters");
          }
        } else {
          id =
              JobIds.derive(
                  tenant,
                  sku,
                  images,
                  text,
                  stepTexts,
                  format,
                  aspectRatio,
                  size,
                  model,
                  combination,
                  defaults.idSalt());
        }
        Map<String, String> jobAttributes = new LinkedHashMap<>(combination);
        jobAttributes.putAll(attributes);
        String label = combination.isEmpty() ? where : where + " " + combination;
        jobs.add(
            new PlannedJob(
                label,
                id,
                tenant,
                sku,
                images,
                text,
                stepTexts,
                format,
                aspectRatio,
                size,
                model,
                priority,
                bypass,
                combination,
                jobAttributes));
      }
      for (String p : renderProblems) {
        int bar = p.indexOf('|');
        problem(p.substring(0, bar), p.substring(bar + 1));
      }
      return problems.isEmpty() ? jobs : List.of();
    }

    private List<PlannedImage> images() {
      String column = row.has("images") || !row.has("image") ? "images" : "image";
      List<String> refs = attempt("images", () -> row.list(column));
      if (refs == null) {
        return List.of();
      }
      if (refs.isEmpty()) {
        problem("images", "no images: give 1 to " + MAX_IMAGES + " image paths or URLs");
        return List.of();
      }
      if (refs.size() > MAX_IMAGES) {
        problem("images", refs.size() + " images, at most " + MAX_IMAGES + " per job");
      }
      List<PlannedImage> out = new ArrayList<>();
      for (String ref : refs) {
        resolve(ref).ifPresent(out::add);
      }
      return inlineOrReference(out);
    }

    private Optional<PlannedImage> resolve(String ref) {
      String lower = ref.toLowerCase(Locale.ROOT);
      Path path;
      if (lower.startsWith("http://") || lower.startsWith("https://")) {
        URI uri;
        try {
          uri = new URI(ref);
        } catch (URISyntaxException e) {
          problem("images", "not a valid URL: " + ref + " (" + e.getReason() + ")");
          return Optional.empty();
        }
        if (uri.getHost() == null) {
          problem("images", "URL without a host: " + ref);
          return Optional.empty();
        }
        Optional<ImageType> type =
            ImageType.fromExtension(uri.getPath() == null ? "" : uri.getPath());
        if (type.isEmpty()) {
          problem(
              "images",
              "cannot tell the image type of "
                  + ref
                  + " from its name (.jpg, .png, .webp, .heic, .heif)");
          return Optional.empty();
        }
        return Optional.of(new PlannedImage.Remote(uri.toString(), type.get()));
      } else if (lower.startsWith("file:")) {
        try {
          path = Path.of(new URI(ref));
        } catch (URISyntaxException | IllegalArgumentException e) {
          problem("images", "not a valid file: URI: " + ref);
          return Optional.empty();
        }
      } else if (lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
        problem(
            "images", "unsupported URL scheme: " + ref + " (use a path, file:, http: or https:)");
        return Optional.empty();
      } else {
        try {
          path = baseDir.resolve(ref);
        } catch (InvalidPathException e) {
          problem("images", "not a valid path: " + ref);
          return Optional.empty();
        }
      }
      ImageInspector.Inspection result = inspector.inspect(path);
      if (result instanceof ImageInspector.Ok ok) {
        return Optional.of(
            new PlannedImage.LocalFile(ok.path(), ok.type(), ok.sizeBytes(), ok.sha256(), true));
      }
      problem("images", ((ImageInspector.Bad) result).message());
      return Optional.empty();
    }

    /** Small images inline, as long as the record stays small; the rest by claim check. */
    private List<PlannedImage> inlineOrReference(List<PlannedImage> images) {
      List<PlannedImage> out = new ArrayList<>();
      long inline = 0;
      for (PlannedImage image : images) {
        if (!(image instanceof PlannedImage.LocalFile file)) {
          out.add(image);
          continue;
        }
        if (file.sizeBytes() <= defaults.inlineMaxBytes()
            && inline + file.sizeBytes() <= defaults.recordInlineBudget()) {
          inline += file.sizeBytes();
          out.add(file);
        } else {
          if (!defaults.claimCheck()) {
            problem(
                "images",
                file.path()
                    + " is "
                    + Sizes.human(file.sizeBytes())
                    + ", too large to send inline (--inline-max-bytes "
                    + Sizes.human(defaults.inlineMaxBytes())
                    + ", "
                    + Sizes.human(defaults.recordInlineBudget())
                    + " per record): give --blob-s3 s3://BUCKET/PREFIX/ (or --blob-dir for a shared folder) to send it by reference");
          }
          out.add(file.byReference());
        }
      }
      return out;
    }

    private Template instruction() {
      String text =
          attempt("instruction", () -> row.text("instruction").orElse(defaults.instruction()));
      if (text == null || text.isBlank()) {
        if (problems.stream().noneMatch(p -> p.field().equals("instruction"))) {
          problem("instruction", "missing: add an instruction column or give --instruction");
        }
        return null;
      }
      return attempt("instruction", () -> Template.parse(text));
    }

    private List<Template> steps() {
      List<String> texts =
          attempt("steps", () -> row.has("steps") ? row.list("steps") : defaults.steps());
      if (texts == null) {
        return List.of();
      }
      if (texts.size() > MAX_STEPS) {
        problem("steps", texts.size() + " steps, at most " + MAX_STEPS);
      }
      List<Template> out = new ArrayList<>();
      for (String text : texts) {
        Template t = attempt("steps", () -> Template.parse(text));
        if (t != null) {
          out.add(t);
        }
      }
      return out;
    }

    private Map<String, String> attributes() {
      Map<String, String> merged = new LinkedHashMap<>(defaults.attributes());
      Map<String, String> own = attempt("attributes", () -> row.map("attributes"));
      if (own != null) {
        merged.putAll(own);
      }
      for (String key : merged.keySet()) {
        if (key.isBlank()) {
          problem("attributes", "a key is blank");
        } else if (key.toLowerCase(Locale.ROOT).startsWith(RESERVED_ATTRIBUTE_PREFIX)) {
          problem("attributes", "key " + key + " is reserved (editstream.* is set by Editstream)");
        }
      }
      return merged;
    }

    private void checkVariables(
        String field,
        Template template,
        Map<String, String> single,
        Map<String, List<String>> fanOut) {
      if (template == null) {
        return;
      }
      for (String name : template.variables()) {
        if (!single.containsKey(name) && !fanOut.containsKey(name)) {
          Set<String> known = new LinkedHashSet<>(single.keySet());
          known.addAll(fanOut.keySet());
          problem(
              field,
              "unknown template variable {{"
                  + name
                  + "}}"
                  + (known.isEmpty()
                      ? " (this row has no variables)"
                      : " (known: " + String.join(", ", known) + ")"));
        }
      }
    }

    private <T> T attempt(String field, Supplier<T> read) {
      try {
        return read.get();
      } catch (ManifestRow.FieldException e) {
        problem(e.column(), e.getMessage());
      } catch (IllegalArgumentException e) {
        problem(field, e.getMessage());
      }
      return null;
    }

    private void problem(String field, String message) {
      problems.add(new Problem(where, field, message));
    }
  }

  /** Every combination of the fan-out values, first variable slowest; one empty map without. */
  static List<Map<String, String>> combinations(Map<String, List<String>> fanOut) {
    List<Map<String, String>> out = new ArrayList<>();
    out.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<String>> e : fanOut.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> partial : out) {
        for (String value : e.getValue()) {
          Map<String, String> m = new LinkedHashMap<>(partial);
          m.put(e.getKey(), value);
          next.add(m);
        }
      }
      out = next;
    }
    return out;
  }
}
