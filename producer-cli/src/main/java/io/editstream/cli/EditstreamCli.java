package io.editstream.cli;

import io.editstream.cli.cancel.CancelCommand;
import io.editstream.cli.dlq.DlqCommand;
import io.editstream.cli.job.JobCommand;
import io.editstream.cli.listen.ListenCommand;
import io.editstream.cli.replay.ReplayCommand;
import io.editstream.cli.status.StatusCommand;
import io.editstream.cli.submit.SubmitCommand;
import io.editstream.cli.tenant.TenantCommand;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code editstream} command and its subcommands. */
@Command(
    name = "editstream",
    mixinStandardHelpOptions = true,
    versionProvider = EditstreamCli.Version.class,
    description = {
      "Submit image-edit jobs to Editstream, follow their results, replay failures, re-publish"
          + " dead-lettered records, check the processor, find or cancel a job, release a tenant held"
          + " after safety strikes."
    },
    subcommands = {
      SubmitCommand.class,
      ListenCommand.class,
      ReplayCommand.class,
      DlqCommand.class,
      StatusCommand.class,
      JobCommand.class,
      CancelCommand.class,
      TenantCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:some jobs failed, timed out or nothing matched",
      "2:usage or validation error (nothing was sent)",
      "3:Kafka, schema registry or processor unreachable, or another I/O error"
    })
public final class EditstreamCli implements Runnable {
  private final CliContext context;

  @Spec CommandSpec spec;

  public EditstreamCli(CliContext context) {
    this.context = context;
  }

  public CliContext context() {
    return context;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "Missing command: give one of submit, listen, replay, dlq, status, job, cancel, tenant");
  }

  /** The command line, wired to {@code context}'s streams, with the exit codes mapped. */
  public static CommandLine commandLine(CliContext context) {
    CommandLine cl = new CommandLine(new EditstreamCli(context));
    cl.setOut(new PrintWriter(new OutputStreamWriter(context.out(), StandardCharsets.UTF_8), true));
    cl.setErr(new PrintWriter(new OutputStreamWriter(context.err(), StandardCharsets.UTF_8), true));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // The message and where to look, not the whole usage: a long help buries the one line that
    // says what is wrong.
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine failed = ex.getCommandLine();
          PrintWriter err = failed.getErr();
          String name = failed.getCommandSpec().qualifiedName();
          err.println(name + ": " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
          err.println("See '" + name + " --help' for its options and examples.");
          return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
    printExamplesUnwrapped(cl);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          String name = commandLine.getCommandSpec().qualifiedName();
          if (e instanceof CliFailure failure) {
            err.println(name + ": " + failure.getMessage());
            return failure.exitCode();
          }
          if (e instanceof CommandLine.ParameterException p) {
            throw p;
          }
          if (e instanceof KafkaException) {
            err.println(name + ": Kafka error: " + rootMessage(e));
            return ExitCodes.INFRA;
          }
          err.println(name + ": unexpected error: " + rootMessage(e));
          e.printStackTrace(err);
          return ExitCodes.INFRA;
        });
    return cl;
  }

  /**
   * Every command's footer holds its examples, one command per line: picocli would wrap a line
   * longer than the help width, mid-argument, and then a pasted example no longer runs. Printed as
   * written instead (and kept short enough by a test).
   */
  private static void printExamplesUnwrapped(CommandLine cl) {
    Map<String, CommandLine.IHelpSectionRenderer> sections = new HashMap<>(cl.getHelpSectionMap());
    sections.put(
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER,
        help -> {
          StringBuilder sb = new StringBuilder();
          for (String line : help.commandSpec().usageMessage().footer()) {
            sb.append(line).append(System.lineSeparator());
          }
          return sb.toString();
        });
    cl.setHelpSectionMap(sections);
    cl.getSubcommands().values().forEach(EditstreamCli::printExamplesUnwrapped);
  }

  /**
   * Why an HTTP request got no answer, in words: the JDK's client reports a refused connection as a
   * ConnectException without a message around a ClosedChannelException.
   */
  public static String ioReason(java.io.IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused (nothing listens there)";
    }
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "no answer in time";
    }
    if (e.getCause() instanceof java.nio.channels.UnresolvedAddressException
        || e instanceof java.net.UnknownHostException) {
      return "unknown host";
    }
    return rootMessage(e);
  }

  /** The innermost cause's class and message. */
  public static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }

  /** The jar's version from its manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = EditstreamCli.class.getPackage().getImplementationVersion();
      return new String[] {"editstream " + (v == null ? "(development build)" : v)};
    }
  }
}
