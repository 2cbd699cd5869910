package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class StateRestoreLogTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return Instant.ofEpochMilli(now.get());
        }
      };

  @Test
  void aRestoreIsMeteredPerStoreWithItsRecordsAndDuration() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    StateRestoreLog restores = new StateRestoreLog(clock, meters);
    TopicPartition p0 = new TopicPartition("app-pending-jobs-changelog", 0);
    TopicPartition p1 = new TopicPartition("app-pending-jobs-changelog", 1);

    restores.onRestoreStart(p0, "pending-jobs", 10, 1010);
    restores.onRestoreStart(p1, "pending-jobs", 0, 0);
    now.addAndGet(400);
    restores.onBatchRestored(p0, "pending-jobs", 500, 490);
    now.addAndGet(6_000);
    restores.onBatchRestored(p0, "pending-jobs", 1010, 510);
    restores.onRestoreEnd(p0, "pending-jobs", 1000);
    restores.onRestoreEnd(p1, "pending-jobs", 0);

    assertThat(
            meters
                .get("editstream.state.restored.records")
                .tag("store", "pending-jobs")
                .counter()
                .count())
        .isEqualTo(1000);
    var timer = meters.get("editstream.state.restore").tag("store", "pending-jobs").timer();
    assertThat(timer.count()).isEqualTo(2);
    assertThat(timer.max(TimeUnit.MILLISECONDS)).isEqualTo(6_400);
  }

  @Test
  void aSuspendedRestoreCountsWhatItRestoredButNoDuration() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    StateRestoreLog restores = new StateRestoreLog(clock, meters);
    TopicPartition p = new TopicPartition("app-completed-jobs-changelog", 3);

    restores.onRestoreStart(p, "completed-jobs", 0, 200);
    now.addAndGet(50);
    restores.onRestoreSuspended(p, "completed-jobs", 120);

    assertThat(
            meters
                .get("editstream.state.restored.records")
                .tag("store", "completed-jobs")
                .counter()
                .count())
        .isEqualTo(120);
    assertThat(meters.find("editstream.state.restore").timer()).isNull();
  }
}
