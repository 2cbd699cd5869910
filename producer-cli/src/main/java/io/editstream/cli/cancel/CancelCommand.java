package io.editstream.cli.cancel;

import io.editstream.cli.CliContext;
import io.editstream.cli.CliFailure;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.ExitCodes;
import io.editstream.cli.kafka.Clients;
import io.editstream.cli.kafka.Connection;
import io.editstream.cli.kafka.FailuresTopicOption;
import io.editstream.cli.kafka.JobsTopicOption;
import io.editstream.cli.kafka.KafkaOptions;
import io.editstream.cli.kafka.RegistryOptions;
import io.editstream.cli.kafka.ResultsTopicOption;
import io.editstream.schema.CancelRequest;
import io.editstream.serde.SerdeException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code editstream cancel}: asks the processor to end jobs as {@code CANCELLED} (a {@link
 * CancelRequest} per job on the cancel topic, keyed by its jobId).
 */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Cancel jobs by id. A job whose model call has not started ends at once as CANCELLED,"
          + " without a call; one whose call is running ends as CANCELLED and the call's answer"
          + " is dropped; a finished job is not changed; a job not read yet is cancelled when it"
          + " arrives. Each job still gets exactly one outcome: follow it with listen or job."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream cancel 3f9c2a7d41e04b8c9a0d5e6f7a8b9c0d --reason \"wrong photo\"",
      "  editstream cancel ID1 ID2 ID3 --requested-by catalogue-team"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every cancel request was written",
      "2:usage error",
      "3:Kafka or the schema registry unreachable"
    })
public final class CancelCommand implements Callable<Integer> {
  static final String DEFAULT_TOPIC = "edit-jobs-cancel";

  @ParentCommand EditstreamCli parent;

  @Mixin KafkaOptions connection;

  // Accepted for scripts that pass the same options to every command; not used, not listed.
  @Mixin JobsTopicOption.Ignored jobsTopicIgnored;

  @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

  @Mixin FailuresTopicOption.Ignored failuresTopicIgnored;

  @Mixin RegistryOptions registry;

  @Parameters(paramLabel = "JOB_ID", arity = "1..*", description = "Ids of the jobs to cancel.")
  List<String> jobIds;

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why; copied into each job's failure message.")
  String reason;

  @Option(
      names = "--requested-by",
      paramLabel = "NAME",
      description = "Who asks; copied into the failure message (default: $USER).")
  String requestedBy;

  @Option(
      names = "--cancel-topic",
      paramLabel = "TOPIC",
      defaultValue = DEFAULT_TOPIC,
      description =
          "The processor's topic.cancel, after the topic prefix (default: ${DEFAULT-VALUE}).")
  String cancelTopic;

  @Override
  public Integer call() {
    CliContext ctx = parent.context();
    Connection conn = connection.resolve(ctx, registry);
    for (String id : jobIds) {
      if (id.isBlank()) {
        throw CliFailure.usage("a JOB_ID is blank");
      }
    }
    String topic = connection.prefixed(ctx, cancelTopic);
    // Fails fast, naming --bootstrap-servers or --cancel-topic, instead of the producer waiting
    // for a topic that is not there.
    Clients.partitions(conn, topic, "editstream-cli-cancel-check", "--cancel-topic");
    String who = requestedBy != null ? requestedBy : ctx.env().get("USER");
    Map<String, Object> config = conn.kafkaClient();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, conn.timeout().toMillis());
    config.put(
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
        (int) Math.max(30_000, conn.timeout().toMillis() * 2));
    config.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1_000, conn.timeout().toMillis()));
    PrintStream out = ctx.out();
    try (KafkaProducer<String, CancelRequest> producer =
        new KafkaProducer<>(
            config, new StringSerializer(), Clients.serializer(CancelRequest.class, conn))) {
      for (String id : jobIds) {
        CancelRequest request =
            CancelRequest.newBuilder()
                .setJobId(id)
                .setRequestedAt(ctx.clock().instant())
                .setRequestedBy(who == null || who.isBlank() ? null : who)
                .setReason(reason)
                .build();
        producer
            .send(new ProducerRecord<>(topic, id, request))
            .get(conn.timeout().toMillis() * 2 + 5_000, TimeUnit.MILLISECONDS);
        out.println("cancel requested: " + id);
      }
    } catch (SerdeException e) {
      throw Clients.serdeFailure(e, conn);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.infra("interrupted", e);
    } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
      throw CliFailure.infra(
          "cannot write to "
              + topic
              + " at "
              + conn.bootstrapServers()
              + ": "
              + EditstreamCli.rootMessage(e)
              + " (is the processor's topic.cancel "
              + cancelTopic
              + "? set --cancel-topic)",
          e);
    }
    out.println(
        jobIds.size()
            + " cancel request(s) written to "
            + topic
            + "; each job ends as CANCELLED unless it had finished (see: editstream job ID)");
    return ExitCodes.OK;
  }
}
