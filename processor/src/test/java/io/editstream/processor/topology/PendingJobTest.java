package io.editstream.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PendingJobTest {
  private static final byte[] FRAME = {0, 0, 0, 0, 7, 1, 2, 3};

  @Test
  void shouldCountACallUpFrontAndKeepItOnlyWhenTheAttemptMadeOne() {
    PendingJob job =
        PendingJob.accepted(FRAME, 10)
            .dispatched(11)
            .settled(0) // images rejected before the call
            .dispatched(12)
            .settled(1)
            .dispatched(13); // in flight: counted, it may be billed

    PendingJob read = PendingJob.decode(job.encode());

    assertThat(read.attempts()).isEqualTo(3);
    assertThat(read.modelCalls()).isEqualTo(2);
    assertThat(read.frame()).isEqualTo(FRAME);
    assertThat(read.firstDispatchAtMs()).isEqualTo(11);
  }

  @Test
  void shouldReadAnEntryWrittenBeforeModelCallsAsOneCallPerDispatch() {
    byte[] current = PendingJob.accepted(FRAME, 10).dispatched(11).dispatched(12).encode();
    // The earlier format ended with the frame.
    byte[] earlier = Arrays.copyOf(current, current.length - Integer.BYTES);

    PendingJob read = PendingJob.decode(earlier);

    assertThat(read.attempts()).isEqualTo(2);
    assertThat(read.modelCalls()).isEqualTo(2);
    assertThat(read.frame()).isEqualTo(FRAME);
  }
}
