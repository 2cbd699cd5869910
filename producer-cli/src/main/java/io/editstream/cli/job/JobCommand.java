package io.editstream.cli.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.DurationConverter;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code editstream job}: where a job is, asked of any processor instance ({@code GET /jobs/{id}},
 * which forwards to the instance that owns the job), or the jobs of a SKU still in progress. While
 * the job's partition moves between instances the processor answers "moving": the command asks
 * again until {@code --timeout}.
 */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Show where a job is: accepted, waiting for quota, in flight, backing off (with its last"
          + " error and next attempt), or finished with its outcome and the outcome record's"
          + " topic, partition and offset. Or list the jobs of a SKU still in progress, on every"
          + " processor instance."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream job 3f9c2a7d41e04b8c9a0d5e6f7a8b9c0d",
      "  editstream job 3f9c2a7d41e04b8c9a0d5e6f7a8b9c0d --follow",
      "  editstream job --sku SKU-123 --tenant acme",
      "  editstream job --sku SKU-123 --processor http://processor-2:8080 --json"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:found (for --follow: finished with a result)",
      "1:no such job, or (for --follow) it finished with a failure",
      "2:usage error",
      "3:the processor did not answer, or kept answering 'moving' until --timeout"
    })
public final class JobCommand implements Callable<Integer> {
  static final String PROCESSOR_ENV = "EDITSTREAM_PROCESSOR_URL";

  @ParentCommand EditstreamCli parent;

  @ArgGroup(multiplicity = "1")
  Which which;

  static final class Which {
    @Parameters(paramLabel = "JOB_ID", description = "The job's id, as submit printed it.")
    String jobId;

    @Option(
        names = "--sku",
        paramLabel = "SKU",
        description = "List the SKU's jobs in progress instead (finished ones are not listed).")
    String sku;
  }

  @Option(
      names = "--tenant",
      paramLabel = "TENANT",
      description = "With --sku: only this tenant's jobs.")
  String tenant;

  @Option(
      names = "--processor",
      paramLabel = "URL",
      description =
          "Any processor instance's HTTP address (its http.port). Default: $"
              + PROCESSOR_ENV
              + ", else http://localhost:8080.")
  URI processor;

  @Option(
      names = "--follow",
      description = "Print each change of the job's state until it finishes (or --timeout).")
  boolean follow;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "How long to keep asking while the job's partition moves, or to follow it"
              + " (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--json", description = "Print the processor's JSON answer(s) as they are.")
  boolean json;

  private final ObjectMapper mapper = new ObjectMapper();

  @Override
  public Integer call() throws InterruptedException {
    CliContext ctx = parent.context();
    URI base = base(ctx);
    if (which.sku == null && tenant != null) {
      throw CliFailure.usage("--tenant goes with --sku; a job id names one job already");
    }
    if (which.sku != null && follow) {
      throw CliFailure.usage("--follow follows one job: give its JOB_ID instead of --sku");
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    PrintStream out = ctx.out();
    if (which.sku != null) {
      String path =
          "/jobs?sku=" + encode(which.sku) + (tenant == null ? "" : "&tenant=" + encode(tenant));
      JsonNode answer = askUntilSettled(http, base.resolve(path), deadline, ctx);
      if (json) {
        out.println(answer.toString());
      } else {
        JobView.printSku(out, answer);
      }
      return ExitCodes.OK;
    }
    URI uri = base.resolve("/jobs/" + encode(which.jobId));
    String lastState = null;
    while (true) {
      JsonNode answer = askUntilSettled(http, uri, deadline, ctx);
      String state = answer.path("state").asText();
      if (!state.equals(lastState)) {
        if (json) {
          out.println(answer.toString());
        } else {
          JobView.printJob(out, answer);
        }
        lastState = state;
      }
      boolean finished = JobView.FINISHED.contains(state);
      if (state.equals("UNKNOWN")) {
        return ExitCodes.FAILED;
      }
      if (!follow || finished) {
        return follow && !state.equals("SUCCEEDED") ? ExitCodes.FAILED : ExitCodes.OK;
      }
      if (System.nanoTime() > deadline) {
        throw CliFailure.infra(
            "job " + which.jobId + " is still " + state + " after --timeout " + timeout, null);
      }
      Thread.sleep(500); // polling an HTTP endpoint that has no push of its own
    }
  }

  /** The answer, asking again while the processor says "moving" (503) or "finishing". */
  private JsonNode askUntilSettled(HttpClient http, URI uri, long deadline, CliContext ctx)
      throws InterruptedException {
    boolean told = false;
    while (true) {
      HttpResponse<String> response;
      try {
        response =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw CliFailure.infra(
            "cannot reach the processor at "
                + uri.resolve("/")
                + ": "
                + EditstreamCli.ioReason(e)
                + " (set --processor or $"
                + PROCESSOR_ENV
                + " to an instance's http.port)",
            e);
      }
      JsonNode body;
      try {
        body = mapper.readTree(response.body());
      } catch (IOException e) {
        throw CliFailure.infra(
            uri
                + " answered HTTP "
                + response.statusCode()
                + " that is not JSON: is it a processor?",
            e);
      }
      String state = body.path("state").asText();
      boolean again = response.statusCode() == 503 || (state.equals("FINISHING") && !follow);
      if (response.statusCode() != 200
          && response.statusCode() != 404
          && response.statusCode() != 503) {
        throw CliFailure.infra(
            uri + " answered HTTP " + response.statusCode() + ": " + body.path("message").asText(),
            null);
      }
      if (!again) {
        return body;
      }
      if (System.nanoTime() > deadline) {
        if (state.equals("FINISHING")) {
          return body;
        }
        throw CliFailure.infra(
            "the processor kept answering '"
                + body.path("message").asText()
                + "' until --timeout "
                + timeout,
            null);
      }
      if (!told && ctx.interactive()) {
        ctx.err().println("…" + body.path("message").asText());
        told = true;
      }
      Thread.sleep(500); // the processor's Retry-After is 1 s; half of it keeps answers fresh
    }
  }

  private URI base(CliContext ctx) {
    URI u = processor;
    if (u == null) {
      String env = ctx.env().get(PROCESSOR_ENV);
      u = URI.create(env == null || env.isBlank() ? "http://localhost:8080" : env.trim());
    }
    if (u.getScheme() == null
        || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
        || u.getHost() == null) {
      throw CliFailure.usage(
          "--processor " + u + " is not an http(s) URL, e.g. http://localhost:8080");
    }
    return u;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
