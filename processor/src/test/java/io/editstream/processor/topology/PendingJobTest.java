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

  @Test
  void shouldKeepTheBatchReferenceAcrossEncodingAndDropItWhenTheAttemptSettles() {
    PendingJob recorded = PendingJob.accepted(FRAME, 10).dispatchedToBatch(11, "app-0_0-abc");
    PendingJob created = PendingJob.decode(recorded.encode()).inBatch("batches/42");

    PendingJob read = PendingJob.decode(created.encode());

    assertThat(PendingJob.decode(recorded.encode()).batch())
        .isEqualTo(new PendingJob.BatchRef("app-0_0-abc", null, 11));
    assertThat(read.batch())
        .as("the deadline still runs from when the batch was recorded")
        .isEqualTo(new PendingJob.BatchRef("app-0_0-abc", "batches/42", 11));
    assertThat(read.attempts()).isEqualTo(1);
    assertThat(read.modelCalls()).isEqualTo(1);
    assertThat(read.frame()).isEqualTo(FRAME);
    assertThat(read.settled(1).batch()).as("the attempt is over, and its batch").isNull();
    assertThat(read.failedAttempt(12, 20).batch()).isEqualTo(read.batch());
  }

  @Test
  void shouldSendAJobOnlineForGoodWhenItsBatchEndsWithoutAnAnswer() {
    PendingJob online =
        PendingJob.accepted(FRAME, 10).dispatchedToBatch(11, "app-0_0-abc").inBatch("batches/1");

    PendingJob read = PendingJob.decode(online.online().encode());

    assertThat(read.onlineOnly()).isTrue();
    assertThat(read.batch()).isNull();
    assertThat(read.modelCalls()).as("the batch made no call for it").isZero();
    assertThat(read.settled(1).onlineOnly()).isTrue();
    assertThat(read.dispatched(12).onlineOnly()).isTrue();
  }

  @Test
  void shouldWriteTheFirstVersionWhileAJobHasNoBatchSoThatOlderProcessorsReadIt() {
    byte[] plain = PendingJob.accepted(FRAME, 10).dispatched(11).encode();
    byte[] batched = PendingJob.accepted(FRAME, 10).dispatchedToBatch(11, "b").encode();

    byte[] online = PendingJob.accepted(FRAME, 10).dispatchedToBatch(11, "b").online().encode();

    assertThat(plain[0]).isEqualTo((byte) 1);
    assertThat(online[0]).as("no batch: no batch start to write").isEqualTo((byte) 2);
    assertThat(batched[0]).isEqualTo((byte) 3);
    assertThat(PendingJob.decode(plain).batch()).isNull();
    assertThat(PendingJob.decode(plain).onlineOnly()).isFalse();
  }

  @Test
  void shouldReadAVersionTwoEntryWithItsBatchAndAnUnknownStart() {
    byte[] v3 =
        PendingJob.accepted(FRAME, 10)
            .dispatchedToBatch(11, "app-0_0-abc")
            .inBatch("batches/7")
            .encode();
    // Version 2 ended with the batch's name: no start.
    byte[] v2 = Arrays.copyOf(v3, v3.length - Long.BYTES);
    v2[0] = 2;

    PendingJob read = PendingJob.decode(v2);

    assertThat(read.batch()).isEqualTo(new PendingJob.BatchRef("app-0_0-abc", "batches/7", 0));
    assertThat(read.attempts()).isEqualTo(1);
    assertThat(read.frame()).isEqualTo(FRAME);
  }
}
