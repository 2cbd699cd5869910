package io.editstream.emulator;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids for batches, files and uploads: lower-case letters and digits, as Google's are (the SDK
 * checks the form of file ids), unique per instance and reproducible from the seed.
 */
final class ResourceIds {

  private final long salt;
  private final AtomicLong sequence = new AtomicLong();

  ResourceIds(long seed, String kind) {
    this.salt = Draws.mix(seed ^ kind.hashCode());
  }

  String next() {
    // Multiplying by an odd constant and fmix64 are both bijections: distinct counters, distinct
    // ids.
    long n = Draws.mix(salt + sequence.incrementAndGet() * 0x9E3779B97F4A7C15L);
    return Long.toUnsignedString(n, 36);
  }
}
