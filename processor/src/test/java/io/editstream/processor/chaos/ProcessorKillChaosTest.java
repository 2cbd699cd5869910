package io.editstream.processor.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three SIGKILLs of the processor (separate JVMs) during a run of a few hundred jobs while the
 * model API answers about 10 % of calls 503 (and 5 % 500) and every tenth job's first call 429.
 * After each kill a new instance takes over: on another machine (new state directory), then on the
 * same machine (the dead one's state directory), then on another. Every jobId ends with exactly one
 * committed outcome. The 2,000-job variant is {@link ProcessorKillLongRunTest}.
 */
class ProcessorKillChaosTest {

  @Test
  void shouldGiveEveryJobExactlyOneOutcomeAcrossThreeKills(@TempDir Path work) throws Exception {
    KillChaos.Plan plan =
        new KillChaos.Plan(
            "kill3x300",
            300,
            600,
            0.15, // a third of the injected errors are 500, two thirds 503: ~10 % 503s
            10,
            25,
            16, // few enough calls in flight that the run spans the kills, enough to be in flight
            10,
            new double[] {0.15, 0.45, 0.75},
            List.of("state-1", "state-2", "state-2", "state-3"),
            20_251_124L,
            Duration.ofSeconds(150));

    KillChaos.Report report = KillChaos.run(plan, work);

    assertThat(report.lost()).as("jobs without an outcome").isEmpty();
    assertThat(report.doubled()).as("jobs with more than one outcome").isEmpty();
    assertThat(report.unexpectedFailures())
        .as("failures other than injected faults on every attempt")
        .isEmpty();
    assertThat(report.dlq()).isZero();
    assertThat(report.threadDeaths()).as("stream threads that died and were replaced").isZero();
    assertThat(report.kills()).hasSize(3);
    assertThat(report.kills())
        .allSatisfy(
            k -> {
              assertThat(k.outcomesBefore()).isLessThan(plan.jobs());
              assertThat(k.callsInFlight()).as("model calls in flight at the kill").isPositive();
            });
    // The faults really happened, and the killed calls were made again.
    assertThat(report.emulator().answers(503)).isPositive();
    assertThat(report.emulator().answers(429)).isGreaterThanOrEqualTo(plan.jobs() / 10);
    assertThat(report.emulator().requests()).isGreaterThan(plan.jobs());
  }
}
