package io.editstream.processor.topology;

/**
 * A raw input record after the decode step: a job's bytes (or a cache hit's result) or a record for
 * the DLQ. {@code direct}: the record is keyed by its jobId and sits in the partition that key maps
 * to, so the job task of this very partition owns it and it needs no repartition hop.
 */
record Decoded(byte[] bytes, boolean dlq, boolean direct) {

  static Decoded deadLetter(byte[] bytes) {
    return new Decoded(bytes, true, false);
  }
}
