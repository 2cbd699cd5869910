package io.editstream.cli.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Set;

/** The processor's JSON answers about jobs, printed for a person on call. */
final class JobView {
  static final Set<String> FINISHED = Set.of("SUCCEEDED", "FAILED", "DONE");

  private JobView() {}

  static void printJob(PrintStream out, JsonNode j) {
    String state = j.path("state").asText();
    String when =
        FINISHED.contains(state) || state.equals("FINISHING")
            ? " at " + j.path("completedAt").asText()
            : j.hasNonNull("since") ? " since " + j.path("since").asText() : "";
    out.println("job " + j.path("jobId").asText() + "  " + state + when + answeredBy(j));
    JsonNode o = j.path("outcome");
    String sku = text(j, "sku", text(o, "sku", null));
    String tenant = text(j, "tenant", text(o, "tenant", null));
    if (sku != null) {
      row(out, "sku", sku + (tenant == null || tenant.isEmpty() ? "" : " (tenant " + tenant + ")"));
    }
    switch (state) {
      case "ACCEPTED", "WAITING_FOR_QUOTA", "IN_FLIGHT", "BACKING_OFF", "HELD", "IN_BATCH" -> {
        row(out, "accepted", j.path("acceptedAt").asText());
        row(out, "model calls", j.path("attempts").asText());
        if (j.hasNonNull("provider")) {
          row(out, "provider", j.path("provider").asText());
        }
        if (j.hasNonNull("lastError")) {
          row(out, "last error", j.path("lastError").asText());
        }
        if (j.hasNonNull("nextAttemptAt")) {
          row(out, "next attempt", j.path("nextAttemptAt").asText());
        }
      }
      case "SUCCEEDED" -> {
        row(out, "model calls", o.path("attempts").asText());
        row(
            out,
            "answered",
            o.path("cacheHit").asBoolean()
                ? "from the dedup cache"
                : "by " + text(o, "provider", "the model") + " (" + o.path("model").asText() + ")");
        if (o.has("estimatedCostUsd")) {
          row(
              out,
              "cost",
              String.format("$%.4f (estimated)", o.path("estimatedCostUsd").asDouble()));
        }
        for (JsonNode image : o.path("images")) {
          row(
              out,
              "image",
              image.path("uri").asText()
                  + "  "
                  + image.path("mimeType").asText()
                  + " "
                  + image.path("width").asInt()
                  + "x"
                  + image.path("height").asInt());
        }
        record(out, j);
      }
      case "FAILED" -> {
        row(
            out,
            "failure",
            o.path("code").asText()
                + (o.path("retryable").asBoolean() ? " (retryable: editstream replay)" : ""));
        row(out, "message", o.path("message").asText());
        row(out, "model calls", o.path("attempts").asText());
        record(out, j);
      }
      default -> {
        if (j.hasNonNull("message")) {
          row(out, "note", j.path("message").asText());
        }
      }
    }
  }

  static void printSku(PrintStream out, JsonNode answer) {
    JsonNode jobs = answer.path("jobs");
    out.println(
        "SKU "
            + answer.path("sku").asText()
            + (answer.hasNonNull("tenant")
                ? " (tenant " + answer.path("tenant").asText() + ")"
                : "")
            + ": "
            + jobs.size()
            + " job(s) in progress, asked "
            + answer.path("instances").size()
            + " instance(s)");
    if (jobs.size() > 0) {
      out.printf("  %-34s %-18s %5s  %-24s %s%n", "JOB", "STATE", "CALLS", "SINCE", "LAST ERROR");
    }
    for (JsonNode j : jobs) {
      out.printf(
          "  %-34s %-18s %5d  %-24s %s%n",
          j.path("jobId").asText(),
          j.path("state").asText(),
          j.path("attempts").asInt(),
          j.path("since").asText(),
          text(j, "lastError", ""));
    }
    for (JsonNode u : answer.path("unreachable")) {
      out.println("  not answered: " + u.asText() + " (its jobs are missing from this list)");
    }
  }

  private static void record(PrintStream out, JsonNode j) {
    JsonNode r = j.path("record");
    if (!r.isMissingNode()) {
      row(
          out,
          "record",
          r.path("topic").asText()
              + " partition "
              + r.path("partition").asInt()
              + " offset "
              + r.path("offset").asLong());
    }
  }

  private static String answeredBy(JsonNode j) {
    return j.hasNonNull("answeredBy") ? "  (instance " + j.path("answeredBy").asText() + ")" : "";
  }

  private static void row(PrintStream out, String name, String value) {
    out.printf("  %-12s %s%n", name, value);
  }

  private static String text(JsonNode node, String field, String otherwise) {
    return node.hasNonNull(field) ? node.path(field).asText() : otherwise;
  }
}
