package io.editstream.demo;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a demo run did, as printed in the summary table and written to {@code summary.json}.
 *
 * @param provider who answered the model calls, e.g. "emulator (600 ms mean latency)"
 * @param blobStore where the processor stored finished images, e.g. "local directory"
 * @param jobs jobs submitted
 * @param results jobs that ended with an image
 * @param cacheHits of the results, served by the dedup cache without a model call
 * @param failuresByCode jobs that ended with a failure event, by failure code
 * @param deadLetters records on the dead-letter topic
 * @param missing ids of jobs without an outcome when the demo stopped waiting
 * @param duplicateOutcomes outcomes seen for a job that already had one (exactly-once: 0)
 * @param modelCalls model API calls the emulator received; -1 with a real API (not observable)
 * @param modelAnswersByStatus the emulator's answers by HTTP status; empty with a real API
 * @param attempts model attempts reported by the outcomes (a multi-turn edit counts once)
 * @param promptTokens input tokens billed, from the results
 * @param outputTokens output tokens billed, from the results
 * @param estimatedCostUsd sum of the results' estimated cost at the configured prices
 * @param startupMs starting broker, registry, emulator and processor
 * @param processingMs from the first submission to the last outcome
 * @param medianJobMs median end-to-end time of a result (submitted to published)
 * @param maxJobMs slowest end-to-end time of a result
 * @param totalMs the whole run, shutdown excluded
 * @param outputDir where everything was written
 * @param report the HTML before/after report
 * @param images finished images written, relative to {@code outputDir}
 * @param imageReads how the written images were read, e.g. {"presigned URL": 9} ({@link
 *     FinishedImages#reads()})
 */
public record DemoSummary(
    String provider,
    String blobStore,
    int jobs,
    int results,
    int cacheHits,
    Map<String, Integer> failuresByCode,
    int deadLetters,
    List<String> missing,
    int duplicateOutcomes,
    long modelCalls,
    Map<Integer, Long> modelAnswersByStatus,
    long attempts,
    long promptTokens,
    long outputTokens,
    double estimatedCostUsd,
    long startupMs,
    long processingMs,
    long medianJobMs,
    long maxJobMs,
    long totalMs,
    String outputDir,
    String report,
    List<String> images,
    Map<String, Integer> imageReads) {

  public DemoSummary {
    imageReads = Collections.unmodifiableMap(new TreeMap<>(imageReads));
    failuresByCode = Collections.unmodifiableMap(new TreeMap<>(failuresByCode));
    modelAnswersByStatus = Collections.unmodifiableMap(new TreeMap<>(modelAnswersByStatus));
    missing = List.copyOf(missing);
    images = List.copyOf(images);
  }

  /** Jobs that ended with a failure event. */
  public int failures() {
    return failuresByCode.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** True when every job got exactly one outcome. */
  public boolean complete() {
    return missing.isEmpty() && duplicateOutcomes == 0;
  }

  /** The summary as a two-column text table of {@link #rows()}. */
  public String table() {
    Map<String, String> rows = rows();
    int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
    int valueWidth = rows.values().stream().mapToInt(String::length).max().orElse(10);
    String rule = "+" + "-".repeat(width + 2) + "+" + "-".repeat(valueWidth + 2) + "+\n";
    StringBuilder b = new StringBuilder(rule);
    rows.forEach(
        (k, v) ->
            b.append(
                String.format(
                    Locale.ROOT, "| %-" + width + "s | %-" + valueWidth + "s |%n", k, v)));
    return b.append(rule).toString();
  }

  /** The summary as labelled lines, in display order. */
  public Map<String, String> rows() {
    Map<String, String> rows = new java.util.LinkedHashMap<>();
    rows.put("model provider", provider);
    rows.put("blob store", blobStore);
    rows.put("jobs submitted", Integer.toString(jobs));
    rows.put(
        "results (images)",
        results + " (" + cacheHits + " from the dedup cache, " + (results - cacheHits) + " new)");
    rows.put(
        "failures",
        failures() == 0
            ? "0"
            : failures()
                + " ("
                + String.join(
                    ", ",
                    failuresByCode.entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue())
                        .toList())
                + ")");
    if (deadLetters > 0) {
      rows.put("dead letters", Integer.toString(deadLetters));
    }
    if (!missing.isEmpty()) {
      rows.put("NO OUTCOME", String.join(", ", missing));
    }
    if (duplicateOutcomes > 0) {
      rows.put("DUPLICATE OUTCOMES", Integer.toString(duplicateOutcomes));
    }
    rows.put(
        "model calls",
        modelCalls < 0
            ? "not observable with a real API; attempts reported: " + attempts
            : modelCalls
                + " (answers by HTTP status: "
                + String.join(
                    ", ",
                    modelAnswersByStatus.entrySet().stream()
                        .map(e -> e.getKey() + " x" + e.getValue())
                        .toList())
                + ")");
    rows.put(
        "tokens",
        String.format(
            Locale.ROOT,
            "%,d in + %,d out = %,d (est. $%.4f at the configured prices)",
            promptTokens,
            outputTokens,
            promptTokens + outputTokens,
            estimatedCostUsd));
    rows.put("start-up", seconds(startupMs) + " (broker, registry, emulator, processor)");
    rows.put(
        "processing",
        seconds(processingMs)
            + " (per result: median "
            + seconds(medianJobMs)
            + ", slowest "
            + seconds(maxJobMs)
            + ")");
    rows.put("total", seconds(totalMs));
    rows.put("output", outputDir + " (" + images.size() + " images, report: " + report + ")");
    if (!imageReads.isEmpty()) {
      rows.put(
          "images read by",
          String.join(
              ", ",
              imageReads.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
    }

    return rows;
  }

  static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
