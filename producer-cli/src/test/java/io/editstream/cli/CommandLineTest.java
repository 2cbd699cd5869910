package io.editstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {
  @ParameterizedTest
  @ValueSource(strings = {"", "submit", "listen", "replay", "dlq", "status"})
  void shouldPrintHelpWithExitCodesAndExitZero(String command) {
    CliRunner.Result r =
        command.isEmpty() ? CliRunner.run("--help") : CliRunner.run(command, "--help");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("Usage: editstream").contains("Exit codes:");
    if (!command.isEmpty()) {
      assertThat(r.out()).contains("--bootstrap-servers").contains("--kafka-config");
    }
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
    CliRunner.Result status =
        CliRunner.run(
            concat(
                new String[] {"status", "--metrics-url", "http://127.0.0.1:1/metrics"},
                unreachable));

    for (CliRunner.Result r : new CliRunner.Result[] {submit, listen, replay, dlq}) {
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.INFRA);
      assertThat(r.err()).contains("cannot reach Kafka at 127.0.0.1:1");
    }
    assertThat(status.exitCode()).as(status.toString()).isEqualTo(ExitCodes.INFRA);
    assertThat(status.out())
        .contains("cannot reach Kafka")
        .contains("cannot reach http://127.0.0.1:1/metrics");
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
