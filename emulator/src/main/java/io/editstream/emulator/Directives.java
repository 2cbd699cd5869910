package io.editstream.emulator;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-request triggers a test or demo puts into the instruction text ({@code [emulator:fail=503]})
 * or into the {@code x-emulator-directive} header ({@code fail=503; slow=200}).
 *
 * @param failCode answer this error instead of working, or 0
 * @param failTimes fail only the first N times this exact request is seen (0 = always when failCode
 *     is set by {@code fail=})
 * @param blockReason answer a blocked prompt with this reason, or null
 * @param finishReason answer a candidate with this finish reason and no image, or null
 * @param noImage answer text only
 * @param drop close the connection without an answer
 * @param slowMs latency override in ms, or -1
 * @param nsfw flag the output as not safe for work (WaveSpeed {@code has_nsfw_contents}; Gemini
 *     routes answer finishReason IMAGE_SAFETY)
 * @param taskFail end a WaveSpeed prediction with status {@code failed} (Gemini routes answer 500)
 * @param batchFate in the first request of a batch: end the whole batch {@link BatchFate#FAIL
 *     failed} or {@link BatchFate#EXPIRE expired} when its turnaround is over, or null; online
 *     calls ignore it
 * @param retryDelayMs a triggered error ({@code fail}, {@code fail-times}) of an online call
 *     carries this retry hint (Gemini: a {@code google.rpc.RetryInfo} detail; WaveSpeed: {@code
 *     Retry-After}), or -1 for the code's default (1 s on a 429, none otherwise)
 */
record Directives(
    int failCode,
    int failTimes,
    String blockReason,
    String finishReason,
    boolean noImage,
    boolean drop,
    long slowMs,
    boolean nsfw,
    boolean taskFail,
    BatchFate batchFate,
    long retryDelayMs) {

  /** How a batch ends when a test forces it ({@code [emulator:batch=fail]}). */
  enum BatchFate {
    FAIL,
    EXPIRE
  }

  static final Directives NONE =
      new Directives(0, 0, null, null, false, false, -1, false, false, null, -1);
  static final String HEADER = "x-emulator-directive";

  static final Pattern MARKER =
      Pattern.compile("\\[emulator:([^\\]]*)\\]", Pattern.CASE_INSENSITIVE);

  private static final Set<Integer> FAIL_CODES = Set.of(400, 401, 403, 404, 429, 500, 503, 504);
  private static final Pattern REASON = Pattern.compile("[A-Z_]{2,40}");

  boolean any() {
    return !equals(NONE);
  }

  /** Removes markers so the drawn instruction reads naturally. */
  static String strip(String text) {
    return MARKER.matcher(text).replaceAll("").replaceAll("\\s{2,}", " ").trim();
  }

  /**
   * Parses markers in {@code texts} and directives in {@code header}.
   *
   * @throws IllegalArgumentException naming the bad directive
   */
  static Directives parse(List<String> texts, String header) {
    Directives d = NONE;
    for (String text : texts) {
      Matcher m = MARKER.matcher(text);
      while (m.find()) {
        d = d.apply(m.group(1).trim());
      }
    }
    if (header != null && !header.isBlank()) {
      for (String item : header.split("[;,]")) {
        if (!item.isBlank()) {
          d = d.apply(item.trim());
        }
      }
    }
    return d;
  }

  private Directives apply(String directive) {
    int eq = directive.indexOf('=');
    String name = (eq < 0 ? directive : directive.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
    String value = eq < 0 ? null : directive.substring(eq + 1).trim();
    Fields f = new Fields(this);
    switch (name) {
      case "fail" -> {
        f.failCode = code(value, directive);
        f.failTimes = 0;
      }
      case "fail-times" -> {
        String[] pieces = value == null ? new String[0] : value.split(":");
        if (pieces.length != 2) {
          throw bad(directive, "expected fail-times=N:CODE, e.g. fail-times=2:503");
        }
        f.failTimes = integer(pieces[0], directive);
        f.failCode = code(pieces[1], directive);
      }
      case "block" -> f.blockReason = reason(value, directive);
      case "finish" -> f.finishReason = reason(value, directive);
      case "noimage" -> f.noImage = true;
      case "drop" -> f.drop = true;
      case "nsfw" -> f.nsfw = true;
      case "task-fail" -> f.taskFail = true;
      case "slow" -> f.slowMs = integer(value, directive);
      case "batch" -> f.batchFate = fate(value, directive);
      case "retry-delay" -> f.retryDelayMs = integer(value, directive);
      default ->
          throw bad(
              directive,
              "known directives: fail=CODE, fail-times=N:CODE, block=REASON, finish=REASON,"
                  + " noimage, drop, slow=MS, nsfw, task-fail, batch=fail|expire, retry-delay=MS");
    }
    return f.build();
  }

  /** Mutable copy of the components: each directive changes one or two of them. */
  private static final class Fields {
    int failCode;
    int failTimes;
    String blockReason;
    String finishReason;
    boolean noImage;
    boolean drop;
    long slowMs;
    boolean nsfw;
    boolean taskFail;
    BatchFate batchFate;
    long retryDelayMs;

    Fields(Directives d) {
      failCode = d.failCode;
      failTimes = d.failTimes;
      blockReason = d.blockReason;
      finishReason = d.finishReason;
      noImage = d.noImage;
      drop = d.drop;
      slowMs = d.slowMs;
      nsfw = d.nsfw;
      taskFail = d.taskFail;
      batchFate = d.batchFate;
      retryDelayMs = d.retryDelayMs;
    }

    Directives build() {
      return new Directives(
          failCode,
          failTimes,
          blockReason,
          finishReason,
          noImage,
          drop,
          slowMs,
          nsfw,
          taskFail,
          batchFate,
          retryDelayMs);
    }
  }

  private static BatchFate fate(String value, String directive) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "fail" -> BatchFate.FAIL;
      case "expire" -> BatchFate.EXPIRE;
      default -> throw bad(directive, "expected batch=fail or batch=expire");
    };
  }

  private static int code(String value, String directive) {
    int code = integer(value, directive);
    if (!FAIL_CODES.contains(code)) {
      throw bad(directive, "CODE must be one of " + new java.util.TreeSet<>(FAIL_CODES));
    }
    return code;
  }

  private static int integer(String value, String directive) {
    try {
      int v = Integer.parseInt(value == null ? "" : value.trim());
      if (v < 0) {
        throw bad(directive, "expected a non-negative number");
      }
      return v;
    } catch (NumberFormatException e) {
      throw bad(directive, "expected a number");
    }
  }

  private static String reason(String value, String directive) {
    String v = value == null ? "" : value.trim().toUpperCase(Locale.ROOT);
    if (!REASON.matcher(v).matches()) {
      throw bad(directive, "expected a reason such as PROHIBITED_CONTENT or IMAGE_SAFETY");
    }
    return v;
  }

  private static IllegalArgumentException bad(String directive, String hint) {
    return new IllegalArgumentException(
        "Invalid emulator directive '" + directive + "': " + hint + ".");
  }
}
