package io.editstream.cli;

import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs the CLI in-process with captured output, a fixed clock and a seeded random source. */
public final class CliRunner {
  public static final Instant NOW = Instant.parse("2026-03-01T10:15:30Z");

  private CliRunner() {}

  /** What a run printed and returned. */
  public record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  public static Result run(String... args) {
    return run(Map.of(), args);
  }

  /**
   * {@code command} with the options that point it at {@code broker}, {@code registry} and the
   * topics under {@code prefix}, then {@code rest}.
   */
  public static String[] args(
      KafkaBroker broker, SchemaRegistry registry, String prefix, String command, String... rest) {
    List<String> all = new ArrayList<>();
    all.add(command);
    all.addAll(connection(broker, registry, prefix));
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  /** The options that point a command at {@code broker}, {@code registry} and {@code prefix}. */
  public static List<String> connection(
      KafkaBroker broker, SchemaRegistry registry, String prefix) {
    return List.of(
        "--bootstrap-servers",
        broker.bootstrapServers(),
        "--schema-registry",
        registry.url(),
        "--topic-prefix",
        prefix);
  }

  /** Runs {@link #args}. */
  public static Result run(
      KafkaBroker broker, SchemaRegistry registry, String prefix, String command, String... rest) {
    return run(args(broker, registry, prefix, command, rest));
  }

  /** A context with the fixed clock and discarded output, for parsing without running. */
  public static CliContext context() {
    PrintStream discard = new PrintStream(java.io.OutputStream.nullOutputStream());
    return new CliContext(
        Map.of(), Clock.fixed(NOW, ZoneOffset.UTC), new Random(7), discard, discard, false);
  }

  public static Result run(Map<String, String> env, String... args) {
    return run(env, commandLine -> {}, args);
  }

  /**
   * Runs {@code args} after {@code setUp} has seen the command line, e.g. to give a subcommand's
   * instance ({@code commandLine.getSubcommands().get("listen").getCommand()}) a test seam.
   */
  public static Result run(Map<String, String> env, Consumer<CommandLine> setUp, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CliContext context =
        new CliContext(
            env,
            Clock.fixed(NOW, ZoneOffset.UTC),
            new Random(7),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    CommandLine commandLine = EditstreamCli.commandLine(context);
    setUp.accept(commandLine);
    int code = commandLine.execute(args);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
