package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.TestImages;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.RealInfra;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user sees when a command meets a running broker and registry but a wrong name or
 * address: each message names the option to change, without a stack trace or a secret, and the
 * command exits 3 instead of waiting for a topic or sending jobs nowhere.
 */
@ExtendWith(RealInfra.class)
class CliErrorMessagesEndToEndTest {

  @Test
  void shouldNameThePrefixAndTopicOptionWhenTheTopicsAreNotThere(
      KafkaBroker broker, SchemaRegistry registry, @TempDir Path dir) throws Exception {
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");
    // No processor ever ran with this prefix, so none of its topics exist.
    List<String> conn =
        List.of(
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry",
            registry.url(),
            "--topic-prefix",
            TestTopics.unique("typo") + ".",
            "--connect-timeout",
            "5s");

    CliRunner.Result submit =
        run(conn, "submit", "--tenant", "t", "--instruction", "x", image.toString());
    CliRunner.Result submitUnchecked =
        run(
            conn,
            "submit",
            "--tenant",
            "t",
            "--instruction",
            "x",
            "--seen-check-window",
            "0",
            image.toString());
    CliRunner.Result listen = run(conn, "listen", "--expect", "1", "--timeout", "5s");
    CliRunner.Result replay = run(conn, "replay", "--dry-run");
    CliRunner.Result dlq = run(conn, "dlq");
    CliRunner.Result cancel = run(conn, "cancel", "j1");

    assertFailsNaming(submit, "--topic-prefix", "--results-topic");
    assertFailsNaming(submitUnchecked, "--topic-prefix", "--jobs-topic");
    assertFailsNaming(listen, "--topic-prefix", "--results-topic / --failures-topic");
    assertFailsNaming(replay, "--topic-prefix", "--failures-topic");
    assertFailsNaming(dlq, "--topic-prefix", "--dlq-topic");
    assertFailsNaming(cancel, "--topic-prefix", "--cancel-topic");
    for (CliRunner.Result r : List.of(submit, submitUnchecked, listen, replay, dlq, cancel)) {
      assertThat(r.err()).as(r.toString()).contains("not found on " + broker.bootstrapServers());
    }
    assertThat(submitUnchecked.out()).as("nothing was sent").doesNotContain("Submitted");
  }

  @Test
  void shouldNameTheRegistryOptionWithoutItsPasswordWhenTheRegistryIsNotThere(
      KafkaBroker broker, @TempDir Path dir) throws Exception {
    String prefix = TestTopics.unique("noreg") + ".";
    broker.createTopic(prefix + "edit-jobs", 1);
    broker.createTopic(prefix + "edit-jobs-cancel", 1);
    Path image = TestImages.copy(TestImages.PNG, dir, "cat.png");
    String registry = "http://editstream:hunter2@127.0.0.1:" + closedPort();
    List<String> conn =
        List.of(
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry",
            registry,
            "--topic-prefix",
            prefix,
            "--connect-timeout",
            "3s");

    CliRunner.Result submit =
        run(
            conn,
            "submit",
            "--tenant",
            "t",
            "--instruction",
            "x",
            "--seen-check-window",
            "0",
            image.toString());
    CliRunner.Result cancel = run(conn, "cancel", "j1");

    for (CliRunner.Result r : List.of(submit, cancel)) {
      assertFailsNaming(r, "--schema-registry", "$SCHEMA_REGISTRY_URL");
      assertThat(r.err())
          .as(r.toString())
          .contains("schema registry at http://127.0.0.1:")
          .doesNotContain("hunter2");
    }
  }

  private static void assertFailsNaming(CliRunner.Result r, String... options) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.INFRA);
    for (String option : options) {
      assertThat(r.err()).as(r.toString()).contains(option);
    }
    assertThat(r.err())
        .as("no stack trace: " + r)
        .doesNotContain("\tat ")
        .doesNotContain("Exception:");
  }

  private static CliRunner.Result run(List<String> conn, String... command) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(conn);
    return CliRunner.run(args.toArray(String[]::new));
  }

  private static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
