package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.processor.testsupport.ProcessorJvm;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17.1: with {@code instance.id} set, an instance restarted after {@code kill -9} on its
 * state directory takes its partitions back as the same static member, without waiting for the dead
 * member's session to time out. The session timeout here is 200 s, so a restart that had to wait it
 * out (dynamic membership) could not finish the jobs within the 150 s this test allows.
 */
class StaticMembershipRestartTest {
  private static final int JOBS = 30;
  private static final int SESSION_TIMEOUT_MS = 200_000;

  @Test
  void shouldTakeItsPartitionsBackAtOnceWhenRestartedAfterAKill(@TempDir Path work)
      throws Exception {
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(1500).withSeed(17));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("kafka.session.timeout.ms", Integer.toString(SESSION_TIMEOUT_MS));
      settings.put("kafka.heartbeat.interval.ms", "1000");
      settings.put("http.port", "-1");
      settings.put("instance.id", "it-host");

      ProcessorJvm first = new ProcessorJvm(settings, work, "first");
      IntStream.range(0, JOBS)
          .forEach(
              i ->
                  pipeline.send(job("static-" + i, Pipeline.instructionHalfSlow(i, JOBS), rocket)));
      pipeline.flush();
      boolean someDone = pipeline.readUntil(() -> pipeline.outcomes() >= 5, Duration.ofSeconds(90));
      assertThat(someDone)
          .as("first instance produced outcomes; log:%n%s", first.logText())
          .isTrue();
      first.kill();
      assertThat(pipeline.outcomes()).as("jobs were left at the kill").isLessThan(JOBS);

      // Same settings and state.dir: the restart takes the same slot, so the same static member.
      try (ProcessorJvm second = new ProcessorJvm(settings, work, "second")) {
        boolean all =
            pipeline.readUntil(() -> pipeline.outcomes() >= JOBS, Duration.ofSeconds(150));
        assertThat(all)
            .as(
                "all %d jobs answered well within the %d s session timeout; got %d; log:%n%s",
                JOBS, SESSION_TIMEOUT_MS / 1000, pipeline.outcomes(), second.logTail(80))
            .isTrue();
        pipeline.readUntil(() -> false, Duration.ofSeconds(2)); // anything doubled would show now

        List<MemberDescription> members = members(pipeline, settings.get("application.id"));
        assertThat(members)
            .as("the dead member was replaced, not kept beside the new one")
            .hasSize(1);
        assertThat(members.get(0).groupInstanceId())
            .hasValueSatisfying(id -> assertThat(id).startsWith("it-host-instance-0"));
      }
      assertThat(pipeline.results.keySet())
          .containsExactlyInAnyOrderElementsOf(
              IntStream.range(0, JOBS).mapToObj(i -> "static-" + i).toList());
      assertThat(pipeline.failures).isEmpty();
      assertThat(pipeline.duplicateOutcomes).isZero();
    }
  }

  private static List<MemberDescription> members(Pipeline pipeline, String group) throws Exception {
    try (Admin admin = Admin.create(new HashMap<>(pipeline.broker.clientConfig()))) {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      return List.copyOf(d.members());
    }
  }
}
