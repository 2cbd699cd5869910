package io.editstream.processor.topology;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Marks a record of the cancel topic for the job task, which reads it among the jobs ({@link
 * JobProcessor#CANCEL_HEADER}). Input jobs lose the header at decode, so a producer cannot turn a
 * job into a cancel.
 */
final class CancelMarker implements FixedKeyProcessor<byte[], byte[], byte[]> {
  private FixedKeyProcessorContext<byte[], byte[]> context;

  @Override
  public void init(FixedKeyProcessorContext<byte[], byte[]> context) {
    this.context = context;
  }

  @Override
  public void process(FixedKeyRecord<byte[], byte[]> record) {
    record.headers().remove(JobProcessor.CANCEL_HEADER);
    record.headers().add(JobProcessor.CANCEL_HEADER, new byte[] {1});
    context.forward(record);
  }
}
