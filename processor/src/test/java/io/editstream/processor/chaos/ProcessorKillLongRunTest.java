package io.editstream.processor.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long run: 2,000 jobs, three SIGKILLs, ~10 % 503s and 429s. Excluded from the default
 * build (tag {@code long}); run it with
 *
 * <pre>
 * mvn -B -pl processor -am verify -Dgroups=long -DexcludedGroups=none \
 *     -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test='io.editstream.processor.chaos.ProcessorKillLongRunTest' \
 *     -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("long")
class ProcessorKillLongRunTest {

  @Test
  void shouldGiveEveryOfTwoThousandJobsExactlyOneOutcomeAcrossThreeKills(@TempDir Path work)
      throws Exception {
    KillChaos.Plan plan =
        new KillChaos.Plan(
            "kill3x2000",
            2_000,
            1_000,
            0.15, // ~10 % 503 and ~5 % 500
            10,
            25,
            32,
            10,
            new double[] {0.2, 0.5, 0.8},
            List.of("state-1", "state-2", "state-2", "state-3"),
            2_000L,
            Duration.ofMinutes(5));

    KillChaos.Report report = KillChaos.run(plan, work);

    assertThat(report.lost()).as("jobs without an outcome").isEmpty();
    assertThat(report.doubled()).as("jobs with more than one outcome").isEmpty();
    assertThat(report.unexpectedFailures())
        .as("failures other than injected faults on every attempt")
        .isEmpty();
    assertThat(report.dlq()).isZero();
    assertThat(report.threadDeaths()).as("stream threads that died and were replaced").isZero();
    assertThat(report.kills()).hasSize(3);
    assertThat(report.kills()).allSatisfy(k -> assertThat(k.callsInFlight()).isPositive());
    assertThat(report.emulator().answers(503)).isPositive();
    assertThat(report.emulator().answers(429)).isGreaterThanOrEqualTo(plan.jobs() / 10);
  }
}
