package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.schema.EditJob;
import org.junit.jupiter.api.Test;

/** A task's pending jobs: their states as GET /jobs reads them, and the task's pending count. */
class TaskJobsTest {
  private final JobDirectory directory = new JobDirectory();
  private final TaskJobs jobs = new TaskJobs(directory, "1_0");
  private final EditJob job = EditstreamTopologyTest.job("j", "make it blue");

  @Test
  void shouldFollowAJobThroughItsStatesUntilItsOutcome() {
    jobs.accepted("j", job, 1_000);
    assertThat(directory.find("j")).get().extracting(LiveJob::state).isEqualTo(JobState.ACCEPTED);
    assertThat(jobs.size()).isEqualTo(1);

    jobs.waitingForQuota("j", job, 1_100);
    assertThat(directory.find("j").orElseThrow().state()).isEqualTo(JobState.WAITING_FOR_QUOTA);

    jobs.inFlight("j", 1, "vertex", 1_200);
    LiveJob running = directory.find("j").orElseThrow();
    assertThat(running.state()).isEqualTo(JobState.IN_FLIGHT);
    assertThat(running.attempts()).isEqualTo(1);
    assertThat(running.provider()).isEqualTo("vertex");

    jobs.backingOff("j", 1, null, "MODEL_UNAVAILABLE: HTTP 503", 5_000, 1_300);
    LiveJob backingOff = directory.find("j").orElseThrow();
    assertThat(backingOff.state()).isEqualTo(JobState.BACKING_OFF);
    assertThat(backingOff.nextAttemptAtMs()).isEqualTo(5_000);
    assertThat(backingOff.lastError()).isEqualTo("MODEL_UNAVAILABLE: HTTP 503");
    assertThat(backingOff.provider()).isEqualTo("vertex"); // the last call's
    assertThat(backingOff.acceptedAtMs()).isEqualTo(1_000);

    jobs.heldOverCap("j", "over the tenant's daily cap", 9_000, 5_000);
    assertThat(directory.find("j").orElseThrow().state()).isEqualTo(JobState.HELD);

    jobs.finished("j");
    assertThat(directory.find("j")).isEmpty();
    assertThat(jobs.size()).isZero();
    assertThat(jobs.oldestAgeSeconds(10_000, false)).isZero();
  }

  @Test
  void shouldCountEachPendingJobOnceAndIgnoreTransitionsOfJobsItDoesNotHold() {
    jobs.accepted("a", job, 1_000);
    jobs.restored("b", PendingJob.accepted(new byte[0], 500), 2_000);
    jobs.finished("c");
    jobs.inFlight("c", 1, null, 2_000);

    assertThat(jobs.size()).isEqualTo(2);
    assertThat(directory.find("c")).isEmpty();
    assertThat(jobs.oldestAgeSeconds(2_500, false)).isEqualTo(2.0); // b, accepted at 500
    jobs.inBatch("b", 2_500);
    assertThat(directory.find("b").orElseThrow().state()).isEqualTo(JobState.IN_BATCH);
    assertThat(jobs.oldestAgeSeconds(2_500, false)).as("a only").isEqualTo(1.5);
    assertThat(jobs.oldestAgeSeconds(2_500, true)).as("b only").isEqualTo(2.0);
    jobs.finished("a");
    jobs.finished("a");
    assertThat(jobs.size()).isEqualTo(1);
  }

  @Test
  void shouldRestoreAJobWhoseRetryIsDueLaterAsBackingOff() {
    PendingJob entry = PendingJob.accepted(new byte[0], 500).failedAttempt(600, 9_000);

    jobs.restored("b", entry, 2_000);

    LiveJob restored = directory.find("b").orElseThrow();
    assertThat(restored.state()).isEqualTo(JobState.BACKING_OFF);
    assertThat(restored.nextAttemptAtMs()).isEqualTo(9_000);
  }

  @Test
  void shouldLeaveTheDirectoryWhenTheTaskCloses() {
    jobs.accepted("j", job, 1_000);

    jobs.close(directory);

    assertThat(directory.find("j")).isEmpty();
    assertThat(directory.size()).isZero();
  }
}
