package io.editstream.processor.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BatchQuotaTest {
  private final AtomicReference<Double> share = new AtomicReference<>(1.0);

  @Test
  void shouldAdmitABatchOnlyWhileItFitsAndTakeItsRoomBackWhenItEnds() {
    BatchQuota quota = new BatchQuota(100, 10_000, share::get);

    assertThat(quota.tryAcquire(0, 60, 1_000)).isTrue();
    assertThat(quota.tryAcquire(0, 50, 1_000)).as("110 requests > 100").isFalse();
    assertThat(quota.tryAcquire(0, 40, 9_500)).as("10,500 tokens > 10,000").isFalse();
    assertThat(quota.enqueuedRequests()).as("a refusal takes nothing").isEqualTo(60);
    assertThat(quota.tryAcquire(0, 40, 9_000)).isTrue();

    quota.release(60, 1_000);
    assertThat(quota.enqueuedRequests()).isEqualTo(40);
    assertThat(quota.enqueuedTokens()).isEqualTo(9_000);
    assertThat(quota.tryAcquire(0, 50, 1_000)).isTrue();
  }

  @Test
  void shouldKeepToThisInstancesShare() {
    share.set(0.25);
    BatchQuota quota = new BatchQuota(100, 0, share::get);

    assertThat(quota.tryAcquire(0, 20, 0)).isTrue();
    assertThat(quota.tryAcquire(0, 10, 0)).as("30 > 25 = a quarter of 100").isFalse();
    share.set(0.5);
    assertThat(quota.tryAcquire(0, 10, 0)).isTrue();
  }

  @Test
  void shouldLetABatchLargerThanTheShareGoAloneSoItIsNeverStuck() {
    share.set(0.1);
    BatchQuota quota = new BatchQuota(100, 0, share::get);

    assertThat(quota.tryAcquire(0, 50, 0)).as("nothing enqueued: it goes alone").isTrue();
    assertThat(quota.tryAcquire(0, 1, 0)).isFalse();
  }

  @Test
  void shouldAdmitNothingWhilePausedByA429() {
    BatchQuota quota = BatchQuota.unlimited();
    quota.pause(1_000);

    assertThat(quota.tryAcquire(999, 1, 1)).isFalse();
    assertThat(quota.tryAcquire(1_000, 1, 1)).isTrue();
    quota.pause(500);
    assertThat(quota.pausedUntilMs()).as("an earlier end does not shorten it").isEqualTo(1_000);
  }

  @Test
  void shouldShowWhatIsEnqueuedAsGauges() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    BatchQuota quota = new BatchQuota(0, 0, share::get).register(meters);
    quota.hold(7, 700);

    assertThat(meters.get("editstream.batch.enqueued.requests").gauge().value()).isEqualTo(7);
    assertThat(meters.get("editstream.batch.enqueued.tokens").gauge().value()).isEqualTo(700);
  }
}
