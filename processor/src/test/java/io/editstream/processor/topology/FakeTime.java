package io.editstream.processor.topology;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One fake time for wiring tests: nanoseconds for the quota pools' ticker ({@code nanos::get}) and
 * the UTC wall clock of the topology, read from the same counter so both move together.
 */
final class FakeTime extends Clock {
  final AtomicLong nanos;

  FakeTime(Instant start) {
    this.nanos = new AtomicLong(start.toEpochMilli() * 1_000_000);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(nanos.get() / 1_000_000);
  }
}
