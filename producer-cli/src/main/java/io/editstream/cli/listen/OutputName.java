package io.editstream.cli.listen;

import io.editstream.cli.submit.JobRecords;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The file name (without extension) of a job's finished image: {@code <source>-<variant>-<short
 * id>}, e.g. {@code rocket-de-3fa2b1c4} for {@code rocket.jpg} edited for locale {@code de}. A
 * person finds a photo by its source file and variant; the short id (the first 8 digits of a hex
 * job id, else the job id itself) keeps the names of different jobs apart and the same job's name
 * the same on every run.
 *
 * <p>Names are ASCII letters, digits, {@code . _ -} only and at most {@value #MAX_LENGTH}
 * characters; a job id that had to be shortened or cleaned gets 8 hex digits of its SHA-256, so two
 * ids never end up with one name.
 */
public final class OutputName {
  static final int MAX_LENGTH = 120;
  private static final int MAX_PART = 40;
  private static final Pattern HEX_ID = Pattern.compile("[0-9a-f]{16,}");

  private OutputName() {}

  /** The name of {@code jobId}'s image, from the source and variant attributes submit sets. */
  public static String of(String jobId, Map<String, String> attributes) {
    Map<String, String> a = attributes == null ? Map.of() : attributes;
    return of(jobId, a.get(JobRecords.SOURCE), a.get(JobRecords.VARIANT));
  }

  /**
   * @param source the input's file name (extension dropped) or null
   * @param variant fan-out values such as {@code de} or {@code red-de}, or null
   */
  public static String of(String jobId, String source, String variant) {
    List<String> parts = new ArrayList<>();
    String id = shortId(jobId);
    if (source != null && !source.isBlank()) {
      String stem = part(stripExtension(source));
      // The demo's ids start with what the photo shows ("mug-white"): no need to say it twice.
      if (!stem.isEmpty() && !id.startsWith(stem)) {
        parts.add(stem);
      }
    }
    if (variant != null && !variant.isBlank()) {
      String v = part(variant);
      if (!v.isEmpty()) {
        parts.add(v);
      }
    }
    parts.add(id);
    String name = String.join("-", parts);
    if (name.length() > MAX_LENGTH) {
      // Keep the id: it is what makes the name unique.
      name = name.substring(0, MAX_LENGTH - id.length() - 1) + "-" + id;
    }
    return name;
  }

  /** The job id's readable part: 8 hex digits of a derived id, else the id (cleaned, bounded). */
  static String shortId(String jobId) {
    if (HEX_ID.matcher(jobId).matches()) {
      return jobId.substring(0, 8);
    }
    String cleaned = part(jobId);
    if (cleaned.equals(jobId) && !cleaned.isEmpty()) {
      return cleaned;
    }
    String hash = ImageFiles.sha256(jobId.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    return cleaned.isEmpty() ? hash : cleaned + "-" + hash;
  }

  /** Letters, digits, {@code . _ -}; runs of anything else become one {@code _}; bounded. */
  static String part(String s) {
    String cleaned =
        s.strip().replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[._-]+|[._-]+$", "");
    return cleaned.length() > MAX_PART ? cleaned.substring(0, MAX_PART) : cleaned;
  }

  private static String stripExtension(String fileName) {
    String name = fileName.replaceAll(".*[/\\\\]", "");
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }
}
