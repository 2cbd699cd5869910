package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import io.micrometer.core.instrument.Meter;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17.1: a peer takes over the tasks of an instance killed in the middle of a transaction
 * without waiting for the broker to time that transaction out. Producers here keep transactions
 * open for up to 5 minutes ({@code kafka.producer.transaction.timeout.ms}), so a peer that waited
 * for the broker could not finish the killed instance's jobs within the 90 s this test allows; it
 * aborts the transaction itself once the killed instance has left the group.
 */
class PeerTakeoverAfterKillTest {
  private static final int JOBS = 240;
  private static final int TRANSACTION_TIMEOUT_MS = 300_000;

  @Test
  void aPeerFinishesAKilledInstancesJobsWithoutWaitingOutItsTransaction(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(600).withSeed(29));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("kafka.session.timeout.ms", "6000");
      settings.put("kafka.heartbeat.interval.ms", "1000");
      settings.put(
          "kafka.producer.transaction.timeout.ms", Integer.toString(TRANSACTION_TIMEOUT_MS));
      settings.put("model.max.in.flight", "8");
      // Transactions stay open for up to 5 s while jobs finish, so the kill finds one open.
      settings.put("kafka.commit.interval.ms", "5000");
      settings.put("http.port", "-1");
      String app = settings.get("application.id");

      ProcessorJvm doomed = new ProcessorJvm(settings, work, "doomed");
      try (EditstreamProcessor peer =
              EditstreamProcessor.start(ProcessorConfig.from(Settings.of(settings)));
          Admin admin = Admin.create(pipeline.broker.clientConfig())) {
        assertThat(peer.awaitRunning(Duration.ofSeconds(60))).isTrue();
        String peerProcess = processId(peer, app);
        await()
            .atMost(Duration.ofSeconds(60))
            .alias("both instances are members")
            .until(() -> members(admin, app) == 2);
        IntStream.range(0, JOBS)
            .forEach(
                i -> pipeline.send(job("takeover-" + i, "remove the background " + i, rocket)));
        pipeline.flush();
        // Kill it in the middle of a transaction (they last up to 5 s here while jobs finish).
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (openTransactions(admin, app, peerProcess).isEmpty()) {
          assertThat(System.nanoTime() < deadline)
              .as("the instance to be killed began a transaction; log:%n%s", doomed.logTail(60))
              .isTrue();
          pipeline.readUntil(() -> false, Duration.ofMillis(100));
        }
        doomed.kill();
        long killedAt = System.nanoTime();
        // What the killed instance left open; nothing can change it but a fence or the timeout.
        List<String> leftOpen = openTransactions(admin, app, peerProcess);
        assertThat(pipeline.outcomes()).as("jobs were left at the kill").isLessThan(JOBS);

        boolean all = pipeline.readUntil(() -> pipeline.outcomes() >= JOBS, Duration.ofSeconds(90));
        double seconds = (System.nanoTime() - killedAt) / 1e9;
        assertThat(all)
            .as(
                "all %d jobs answered within 90 s of the kill (transaction timeout %d s); got %d;"
                    + " open at the kill: %s",
                JOBS, TRANSACTION_TIMEOUT_MS / 1000, pipeline.outcomes(), leftOpen)
            .isTrue();
        assertThat(leftOpen).as("the killed instance left a transaction open").isNotEmpty();
        assertThat(peer.meters().get("editstream.transactions.fenced").counter().count())
            .as("the peer aborted the killed instance's open transaction (%.1f s)", seconds)
            .isGreaterThanOrEqualTo(1.0);
        pipeline.readUntil(() -> false, Duration.ofSeconds(2)); // anything doubled would show now
      }
      assertThat(pipeline.doubled).as("jobs with two outcomes").isEmpty();
      assertThat(pipeline.results.keySet())
          .containsExactlyInAnyOrderElementsOf(
              IntStream.range(0, JOBS).mapToObj(i -> "takeover-" + i).toList());
    }
  }

  /** The process id Kafka Streams gave the peer, from its clients' ids among its meters. */
  private static String processId(EditstreamProcessor peer, String app) {
    Pattern clientId = Pattern.compile(Pattern.quote(app) + "-([0-9a-f-]{36})-StreamThread-.*");
    return peer.meters().getMeters().stream()
        .map(Meter::getId)
        .map(id -> Optional.ofNullable(id.getTag("client.id")).orElse(""))
        .map(clientId::matcher)
        .filter(Matcher::matches)
        .map(m -> m.group(1))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Kafka Streams client among the meters"));
  }

  /** Open transactions of the application's stream threads other than the peer's. */
  private static List<String> openTransactions(Admin admin, String app, String peerProcess)
      throws Exception {
    return admin
        .listTransactions(
            new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
        .all()
        .get()
        .stream()
        .map(TransactionListing::transactionalId)
        .filter(id -> id.startsWith(app + "-") && !id.contains(peerProcess))
        .toList();
  }

  private static int members(Admin admin, String group) throws Exception {
    return admin
        .describeConsumerGroups(List.of(group))
        .describedGroups()
        .get(group)
        .get()
        .members()
        .size();
  }
}
