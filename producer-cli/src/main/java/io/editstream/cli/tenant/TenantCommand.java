package io.editstream.cli.tenant;

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
import io.editstream.schema.TenantHold;
import io.editstream.serde.SerdeException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code editstream tenant}: the tenants the processor holds after safety strikes (the holds topic,
 * {@code topic.holds}), and their release.
 */
@Command(
    name = "tenant",
    mixinStandardHelpOptions = true,
    description = {
      "Tenants held after safety strikes: when a tenant's jobs are blocked by the model's safety"
          + " filters (PROMPT_BLOCKED, IMAGE_SAFETY) safety.strikes.threshold times within"
          + " safety.strikes.window, the processor holds the tenant: its jobs make no model call"
          + " (they wait, or fail as TENANT_SUSPENDED) until an operator releases it."
    },
    subcommands = {TenantCommand.ListHeld.class, TenantCommand.Release.class},
    footerHeading = "%nExamples:%n",
    footer = {
      "  editstream tenant list",
      "  editstream tenant release acme --reason \"talked to them\""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:ok", "2:usage error (no subcommand)"})
public final class TenantCommand implements Runnable {
  static final String DEFAULT_TOPIC = "edit-tenant-holds";
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  @ParentCommand EditstreamCli parent;

  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing subcommand: give list or release");
  }

  /** {@code --holds-topic} (a mixin). */
  static final class HoldsTopicOption {
    @Option(
        names = "--holds-topic",
        paramLabel = "TOPIC",
        defaultValue = DEFAULT_TOPIC,
        description =
            "The processor's topic.holds, after the topic prefix (default: ${DEFAULT-VALUE}).")
    String name = DEFAULT_TOPIC;
  }

  /** {@code editstream tenant list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "List the tenants held now: since when, how many safety blocks in which window held them,"
            + " and the jobs that were blocked. With --all, released tenants too."
      },
      footerHeading = "%nExamples:%n",
      footer = {"  editstream tenant list", "  editstream tenant list --all"},
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:listed (also when no tenant is held)",
        "2:usage error",
        "3:Kafka or the schema registry unreachable, or the holds topic missing"
      })
  static final class ListHeld implements Callable<Integer> {
    @ParentCommand TenantCommand tenant;

    @Mixin KafkaOptions connection;

    // Accepted for scripts that pass the same options to every command; not used, not listed.
    @Mixin JobsTopicOption.Ignored jobsTopicIgnored;

    @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

    @Mixin FailuresTopicOption.Ignored failuresTopicIgnored;

    @Mixin RegistryOptions registry;

    @Mixin HoldsTopicOption holdsTopic;

    @Option(names = "--all", description = "Also list released tenants, with who released them.")
    boolean all;

    @Override
    public Integer call() {
      CliContext ctx = tenant.parent.context();
      Connection conn = connection.resolve(ctx, registry);
      String topic = connection.prefixed(ctx, holdsTopic.name);
      Map<String, TenantHold> last = HoldRecords.read(conn, topic);
      PrintStream out = ctx.out();
      List<TenantHold> held = new ArrayList<>();
      List<TenantHold> released = new ArrayList<>();
      last.values().forEach(h -> (h.getHeld() ? held : released).add(h));
      if (held.isEmpty()) {
        out.println("No tenant is held (" + topic + ").");
      }
      for (TenantHold h : held) {
        out.println(
            "HELD      "
                + name(h.getTenant())
                + "  since "
                + TIME.format(h.getAt())
                + " UTC  "
                + h.getStrikes()
                + " safety blocks within "
                + Duration.ofMillis(h.getWindowMs())
                + (h.getBy() == null ? "" : "  by " + h.getBy()));
        if (!h.getJobIds().isEmpty()) {
          out.println("          blocked jobs: " + String.join(" ", h.getJobIds()));
        }
      }
      if (all) {
        for (TenantHold h : released) {
          out.println(
              "RELEASED  "
                  + name(h.getTenant())
                  + "  at "
                  + TIME.format(h.getAt())
                  + " UTC"
                  + (h.getBy() == null ? "" : "  by " + h.getBy())
                  + (h.getReason() == null ? "" : "  (" + h.getReason() + ")"));
        }
      }
      if (!held.isEmpty()) {
        out.println(
            held.size()
                + " tenant(s) held; their jobs make no model call until: editstream tenant release"
                + " TENANT");
      }
      return ExitCodes.OK;
    }
  }

  /** {@code editstream tenant release}. */
  @Command(
      name = "release",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Release held tenants: their waiting jobs are queued for quota again and run (each gets"
            + " exactly one outcome); jobs failed as TENANT_SUSPENDED meanwhile can be replayed."
            + " The safety blocks before the release no longer count toward the next hold.",
        "A tenant that is not held is left as it is (nothing is written for it)."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  editstream tenant release acme --reason \"reviewed the blocked prompts\"",
        "  editstream tenant release acme globex --released-by oncall"
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:every tenant named was held and is released",
        "1:a tenant named was not held (nothing written for it)",
        "2:usage error",
        "3:Kafka or the schema registry unreachable, or the holds topic missing"
      })
  static final class Release implements Callable<Integer> {
    @ParentCommand TenantCommand tenant;

    @Mixin KafkaOptions connection;

    // Accepted for scripts that pass the same options to every command; not used, not listed.
    @Mixin JobsTopicOption.Ignored jobsTopicIgnored;

    @Mixin ResultsTopicOption.Ignored resultsTopicIgnored;

    @Mixin FailuresTopicOption.Ignored failuresTopicIgnored;

    @Mixin RegistryOptions registry;

    @Mixin HoldsTopicOption holdsTopic;

    @Parameters(
        paramLabel = "TENANT",
        arity = "1..*",
        description = "Tenants to release ('' for jobs without a tenant).")
    List<String> tenants;

    @Option(
        names = "--reason",
        paramLabel = "TEXT",
        description = "Why; kept on the release record and in the processor's log.")
    String reason;

    @Option(
        names = "--released-by",
        paramLabel = "NAME",
        description = "Who releases (default: $USER).")
    String releasedBy;

    @Override
    public Integer call() {
      CliContext ctx = tenant.parent.context();
      Connection conn = connection.resolve(ctx, registry);
      String topic = connection.prefixed(ctx, holdsTopic.name);
      Map<String, TenantHold> last = HoldRecords.read(conn, topic);
      String who = releasedBy != null ? releasedBy : ctx.env().get("USER");
      PrintStream out = ctx.out();
      List<String> toRelease = new ArrayList<>();
      for (String t : tenants) {
        TenantHold h = last.get(t);
        if (h == null || !h.getHeld()) {
          out.println(
              "tenant "
                  + name(t)
                  + " is not held"
                  + (h == null ? "" : " (released at " + TIME.format(h.getAt()) + " UTC)")
                  + ": nothing written");
        } else if (!toRelease.contains(t)) {
          toRelease.add(t);
        }
      }
      if (!toRelease.isEmpty()) {
        write(ctx, conn, topic, toRelease, who, out);
      }
      return toRelease.size() == tenants.stream().distinct().count()
          ? ExitCodes.OK
          : ExitCodes.FAILED;
    }

    private void write(
        CliContext ctx,
        Connection conn,
        String topic,
        List<String> toRelease,
        String who,
        PrintStream out) {
      Map<String, Object> config = conn.kafkaClient();
      config.put(ProducerConfig.ACKS_CONFIG, "all");
      config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, conn.timeout().toMillis());
      config.put(
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          (int) Math.max(30_000, conn.timeout().toMillis() * 2));
      config.put(
          ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
          (int) Math.max(1_000, conn.timeout().toMillis()));
      try (KafkaProducer<String, TenantHold> producer =
          new KafkaProducer<>(
              config, new StringSerializer(), Clients.serializer(TenantHold.class, conn))) {
        for (String t : toRelease) {
          TenantHold release =
              TenantHold.newBuilder()
                  .setTenant(t)
                  .setHeld(false)
                  .setAt(ctx.clock().instant())
                  .setBy(who == null || who.isBlank() ? null : who)
                  .setReason(reason)
                  .build();
          producer
              .send(new ProducerRecord<>(topic, t, release))
              .get(conn.timeout().toMillis() * 2 + 5_000, TimeUnit.MILLISECONDS);
          out.println(
              "released: "
                  + name(t)
                  + "; its waiting jobs run again (see: editstream job --sku SKU --tenant "
                  + (t.isEmpty() ? "''" : t)
                  + ")");
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
                + " (is the processor's topic.holds "
                + holdsTopic.name
                + "? set --holds-topic)",
            e);
      }
    }
  }

  private static String name(String tenant) {
    return tenant.isEmpty() ? "'' (no tenant)" : tenant;
  }
}
