package io.editstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class CommandLineTest {
  private static final List<String> COMMANDS =
      List.of("submit", "listen", "replay", "dlq", "status", "job", "cancel");

  @ParameterizedTest
  @ValueSource(strings = {"", "submit", "listen", "replay", "dlq", "status", "job", "cancel"})
  void shouldPrintHelpWithExitCodesAndExitZero(String command) {
    CliRunner.Result r =
        command.isEmpty() ? CliRunner.run("--help") : CliRunner.run(command, "--help");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("Usage: editstream").contains("Exit codes:");
    if (!command.isEmpty() && !command.equals("job")) {
      assertThat(r.out()).contains("--bootstrap-servers").contains("--kafka-config");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"submit", "listen", "replay", "dlq", "status", "job", "cancel"})
  void shouldPrintExamplesThatRunWhenPastedOneLineEach(String command) {
    CliRunner.Result r = CliRunner.run(command, "--help");
    String help = r.out();
    assertThat(help).as(command + " has examples").contains("\nExamples:\n");
    List<String> examples =
        help.substring(help.indexOf("\nExamples:\n") + 11)
            .lines()
            .takeWhile(line -> !line.isBlank())
            .toList();

    assertThat(examples).isNotEmpty();
    for (String line : examples) {
      // A wrapped example shows up as a line that is not a whole command of its own.
      assertThat(line).as("example line of " + command).startsWith("  editstream " + command);
      assertThat(line.length()).as("fits 80 columns: " + line).isLessThanOrEqualTo(80);
      List<String> args = shellWords(line.strip().replaceFirst("\\s+#.*$", ""));
      CommandLine cl = EditstreamCli.commandLine(CliRunner.context());
      assertThatCode(() -> cl.parseArgs(args.subList(1, args.size()).toArray(String[]::new)))
          .as(line)
          .doesNotThrowAnyException();
    }
  }

  @Test
  void shouldListOnlyTheConnectionOptionsEachCommandUses() {
    // status reads offsets and /metrics; dlq moves raw bytes; cancel writes to its own topic.
    Map<String, List<String>> unused =
        Map.of(
            "status", List.of("--schema-registry", "--results-topic", "--failures-topic"),
            "dlq", List.of("--schema-registry", "--results-topic", "--failures-topic"),
            "cancel", List.of("--jobs-topic", "--results-topic", "--failures-topic"),
            "replay", List.of("--results-topic"),
            "job", List.of("--bootstrap-servers", "--schema-registry", "--jobs-topic"));
    Map<String, List<String>> used =
        Map.of(
            "submit",
                List.of("--schema-registry", "--jobs-topic", "--results-topic", "--failures-topic"),
            "listen",
                List.of("--schema-registry", "--jobs-topic", "--results-topic", "--failures-topic"),
            "replay", List.of("--schema-registry", "--jobs-topic", "--failures-topic"),
            "status", List.of("--bootstrap-servers", "--jobs-topic", "--topic-prefix"),
            "cancel", List.of("--schema-registry", "--topic-prefix"),
            "dlq", List.of("--jobs-topic", "--topic-prefix"));
    for (String command : COMMANDS) {
      String help = CliRunner.run(command, "--help").out();
      for (String option : unused.getOrDefault(command, List.of())) {
        assertThat(help).as(command + " --help").doesNotContain(option);
      }
      for (String option : used.getOrDefault(command, List.of())) {
        assertThat(help).as(command + " --help").contains(option);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"submit", "listen", "replay", "dlq", "status", "cancel"})
  void shouldStillAcceptEveryConnectionOptionForScriptsThatPassThemToAllCommands(String command) {
    // Scripts pass one set of options to every command: unlisted ones are accepted and ignored.
    CommandLine cl = EditstreamCli.commandLine(CliRunner.context());
    String[] args = {
      command,
      "--bootstrap-servers",
      "b:9092",
      "--schema-registry",
      "http://r:8081",
      "--topic-prefix",
      "p.",
      "--jobs-topic",
      "j",
      "--results-topic",
      "r",
      "--failures-topic",
      "f",
      "--connect-timeout",
      "5s",
      "ID1"
    };
    String[] parsed =
        command.equals("cancel") ? args : java.util.Arrays.copyOf(args, args.length - 1);
    assertThatCode(() -> cl.parseArgs(parsed)).as(command).doesNotThrowAnyException();
  }

  @Test
  void shouldShowOneFlagForReplayingPermanentFailuresAndKeepTheOldOne() {
    String help = CliRunner.run("replay", "--help").out();
    assertThat(help).contains("--include-permanent").doesNotContain("retryable-only");

    CommandLine cl = EditstreamCli.commandLine(CliRunner.context());
    assertThatCode(() -> cl.parseArgs("replay", "--retryable-only", "--dry-run"))
        .as("old scripts still parse")
        .doesNotThrowAnyException();
  }

  /** Splits like a POSIX shell for the quoting examples use: '...', "..." and spaces. */
  private static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    assertThat((int) quote).as("unclosed quote in " + line).isZero();
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  @ParameterizedTest
  @ValueSource(strings = {"list", "release"})
  void shouldPrintTenantHelpWhoseExamplesParseAndAcceptEveryConnectionOption(String sub) {
    CliRunner.Result r = CliRunner.run("tenant", sub, "--help");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("Usage: editstream tenant " + sub)
        .contains("Exit codes:")
        .contains("--bootstrap-servers")
        .contains("--schema-registry")
        .contains("--holds-topic")
        .doesNotContain("--jobs-topic");
    String help = r.out();
    List<String> examples =
        help.substring(help.indexOf("\nExamples:\n") + 11)
            .lines()
            .takeWhile(line -> !line.isBlank())
            .toList();
    assertThat(examples).isNotEmpty();
    for (String line : examples) {
      assertThat(line).startsWith("  editstream tenant " + sub);
      assertThat(line.length()).as("fits 80 columns: " + line).isLessThanOrEqualTo(80);
      List<String> args = shellWords(line.strip());
      CommandLine cl = EditstreamCli.commandLine(CliRunner.context());
      assertThatCode(() -> cl.parseArgs(args.subList(1, args.size()).toArray(String[]::new)))
          .as(line)
          .doesNotThrowAnyException();
    }
    List<String> all =
        new ArrayList<>(
            List.of(
                "tenant",
                sub,
                "--bootstrap-servers",
                "b:9092",
                "--topic-prefix",
                "p.",
                "--jobs-topic",
                "j",
                "--results-topic",
                "r",
                "--failures-topic",
                "f",
                "--schema-registry",
                "http://r:8081",
                "--connect-timeout",
                "5s"));
    if (sub.equals("release")) {
      all.add("acme");
    }
    CommandLine cl = EditstreamCli.commandLine(CliRunner.context());
    assertThatCode(() -> cl.parseArgs(all.toArray(String[]::new)))
        .as("scripts pass the same options to every command")
        .doesNotThrowAnyException();
  }

  @Test
  void shouldExitTwoWithoutATenantSubcommandOrATenantToRelease() {
    CliRunner.Result none = CliRunner.run("tenant");
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(none.err()).contains("give list or release");
    CliRunner.Result noTenant = CliRunner.run("tenant", "release");
    assertThat(noTenant.exitCode()).as(noTenant.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(noTenant.err()).contains("TENANT");
  }

  @Test
  void shouldExitTwoWithoutACommand() {
    CliRunner.Result r = CliRunner.run();
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("Missing command");
  }

  @Test
  void shouldExitTwoOnUnknownOptionsAndBadValues(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.JPEG, dir);
    assertThat(CliRunner.run("submit", "--no-such-option").exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(CliRunner.run("listen", "--timeout", "soon").exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(CliRunner.run("replay", "--code", "NOT_A_CODE").exitCode())
        .isEqualTo(ExitCodes.USAGE);

    CliRunner.Result badFormat =
        CliRunner.run(
            "submit", "--tenant", "t", "--instruction", "x", "--format", "gif", image.toString());
    assertThat(badFormat.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(badFormat.err()).contains("gif").contains("png, jpeg, webp");

    CliRunner.Result badLane =
        CliRunner.run(
            "submit", "--tenant", "t", "--instruction", "x", "--lane", "cheap", image.toString());
    assertThat(badLane.exitCode()).as(badLane.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(badLane.err()).contains("--lane").contains("cheap").contains("batch, online");
    assertThat(CliRunner.run("submit", "--help").out())
        .contains("--lane=batch|online")
        .contains("Lane every job asks for");

    CliRunner.Result nothing = CliRunner.run("submit", "--tenant", "t");
    assertThat(nothing.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(nothing.err()).contains("--manifest");

    CliRunner.Result dlqAll = CliRunner.run("dlq", "--all");
    assertThat(dlqAll.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(dlqAll.err()).contains("--replay");

    CliRunner.Result permanent = CliRunner.run("replay", "--no-retryable-only");
    assertThat(permanent.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(permanent.err()).contains("--include-permanent");
  }

  @Test
  void shouldExitTwoAndNameTheProblemsOfBadArguments(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.JPEG, dir);
    CliRunner.Result r =
        CliRunner.run(
            "submit",
            "--instruction",
            "x {{nope}}",
            image.toString(),
            dir.resolve("gone.png").toString());

    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err())
        .contains("nothing was sent")
        .contains("tenant: missing")
        .contains("{{nope}}")
        .contains("file not found");
  }

  @Test
  void shouldExitThreeWhenKafkaCannotBeReached(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.JPEG, dir);
    String[] unreachable = {"--bootstrap-servers", "127.0.0.1:1", "--connect-timeout", "2s"};

    CliRunner.Result submit =
        CliRunner.run(
            concat(
                new String[] {"submit", "--tenant", "t", "--instruction", "x", image.toString()},
                unreachable));
    CliRunner.Result listen =
        CliRunner.run(concat(new String[] {"listen", "--expect", "1"}, unreachable));
    CliRunner.Result replay = CliRunner.run(concat(new String[] {"replay"}, unreachable));
    CliRunner.Result dlq = CliRunner.run(concat(new String[] {"dlq"}, unreachable));
    CliRunner.Result cancel = CliRunner.run(concat(new String[] {"cancel", "j1"}, unreachable));
    CliRunner.Result status =
        CliRunner.run(
            concat(
                new String[] {"status", "--metrics-url", "http://127.0.0.1:1/metrics"},
                unreachable));

    for (CliRunner.Result r : new CliRunner.Result[] {submit, listen, replay, dlq, cancel}) {
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.INFRA);
      assertThat(r.err())
          .contains("cannot reach Kafka at 127.0.0.1:1")
          .contains("set --bootstrap-servers");
    }
    assertThat(status.exitCode()).as(status.toString()).isEqualTo(ExitCodes.INFRA);
    assertThat(status.out())
        .contains("cannot reach Kafka")
        .contains("cannot reach http://127.0.0.1:1/metrics")
        .contains("set --metrics-url");
  }

  @Test
  void shouldNameProcessorWhenNoProcessorAnswers() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    CliRunner.Result job =
        CliRunner.run("job", "3f9c2a7d", "--processor", "http://127.0.0.1:" + closedPort);

    assertThat(job.exitCode()).as(job.toString()).isEqualTo(ExitCodes.INFRA);
    assertThat(job.err())
        .contains("cannot reach the processor at http://127.0.0.1:" + closedPort)
        .contains("set --processor or $EDITSTREAM_PROCESSOR_URL")
        .doesNotContain("\tat ");

    CliRunner.Result notAUrl = CliRunner.run("job", "3f9c2a7d", "--processor", "localhost:8080");
    assertThat(notAUrl.exitCode()).as(notAUrl.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(notAUrl.err()).contains("--processor localhost:8080 is not an http(s) URL");
  }

  @Test
  void shouldSayWhatIsWrongInOneLineAndNameTheOption(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");

    CliRunner.Result duration =
        CliRunner.run("submit", "--connect-timeout", "soon", "--tenant", "t", image.toString());
    assertThat(duration.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(duration.err())
        .contains("editstream submit: Invalid value for option '--connect-timeout'")
        .contains("'soon' is not a duration: use e.g. 0, 500ms")
        .contains("See 'editstream submit --help'")
        .as("no usage dump burying the message")
        .doesNotContain("Usage:");

    CliRunner.Result size =
        CliRunner.run(
            "submit", "--tenant", "t", "--instruction", "x", "--size", "3K", image.toString());
    assertThat(size.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(size.err()).contains("--size: \"3K\" is not accepted; use one of 512, 1K, 2K, 4K");

    CliRunner.Result manifest =
        CliRunner.run("submit", "--manifest", dir.resolve("catalogue.csv").toString());
    assertThat(manifest.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(manifest.err()).contains("catalogue.csv: no such file");

    CliRunner.Result metrics =
        CliRunner.run("status", "--metrics-url", "nope", "--bootstrap-servers", "127.0.0.1:1");
    assertThat(metrics.exitCode()).as(metrics.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(metrics.err())
        .contains("--metrics-url nope is not an http(s) URL")
        .doesNotContain("\tat ");

    CliRunner.Result dlq =
        CliRunner.run("dlq", "--replay", "--offset", "x:y", "--bootstrap-servers", "127.0.0.1:1");
    assertThat(dlq.exitCode()).as("checked before connecting").isEqualTo(ExitCodes.USAGE);
    assertThat(dlq.err()).contains("--offset 'x:y' is not OFFSET or PARTITION:OFFSET");
  }

  @Test
  void shouldSkipTheSeenCheckWithAWindowOfZero(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");
    CliRunner.Result r =
        CliRunner.run(
            "submit",
            "--dry-run",
            "--seen-check-window",
            "0",
            "--tenant",
            "t",
            "--instruction",
            "x",
            image.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
  }

  @Test
  void shouldCheckEverythingAndSendNothingOnADryRun(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");
    CliRunner.Result r =
        CliRunner.run(
            "submit",
            "--dry-run",
            "--tenant",
            "t",
            "--instruction",
            "a {{locale}} banner",
            "--fan-out",
            "locale=en,de",
            "--bootstrap-servers",
            "127.0.0.1:1",
            image.toString());

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("\"a en banner\"")
        .contains("\"a de banner\"")
        .contains("Dry run: 2 jobs would be sent, batch b-20260301T101530-");
  }

  @Test
  void shouldAcceptTheExtremeAspectRatiosAndRefuseOthers(@TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");
    String[] common = {"submit", "--dry-run", "--tenant", "t", "--instruction", "a banner"};

    CliRunner.Result tall =
        CliRunner.run(concat(common, new String[] {"--aspect-ratio", "1:8", image.toString()}));
    assertThat(tall.exitCode()).as(tall.toString()).isZero();
    assertThat(tall.out()).contains("/1:8").contains("Dry run: 1 job would be sent");

    CliRunner.Result wide =
        CliRunner.run(concat(common, new String[] {"--aspect-ratio", "2:1", image.toString()}));
    assertThat(wide.exitCode()).as(wide.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(wide.err()).contains("\"2:1\" is not accepted").contains("1:4, 4:1, 1:8, 8:1");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
