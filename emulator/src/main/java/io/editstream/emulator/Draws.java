package io.editstream.emulator;

import java.util.Base64;
import java.util.SplittableRandom;

/**
 * The random draws for one request, a pure function of (seed, request digest, how often that exact
 * request was seen before). So answers do not depend on arrival order or concurrency, and a retry
 * of the same request gets fresh draws.
 */
final class Draws {

  /** Outcome of the fault draw. */
  enum Fault {
    NONE,
    INTERNAL,
    UNAVAILABLE,
    DEADLINE,
    DROP,
    BLOCK,
    IMAGE_SAFETY,
    NO_IMAGE
  }

  final Fault fault;
  final boolean slow;
  final double gaussian;
  final String responseId;

  Draws(EmulatorConfig config, long digest, long occurrence) {
    SplittableRandom random = new SplittableRandom(mix(mix(config.seed() ^ digest) + occurrence));
    // Always draw in the same order so one setting does not shift the others.
    double u = random.nextDouble();
    boolean fiveHundred = random.nextDouble() < 1.0 / 3;
    this.slow = random.nextDouble() < config.slowRate();
    this.gaussian = random.nextGaussian();
    byte[] id = new byte[16];
    random.nextBytes(id);
    this.responseId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    this.fault = fault(config, u, fiveHundred);
  }

  private static Fault fault(EmulatorConfig c, double u, boolean fiveHundred) {
    double edge = c.errorRate();
    if (u < edge) {
      // Overload (503) is what Gemini answers most often; 500 is the rarer internal error.
      return fiveHundred ? Fault.INTERNAL : Fault.UNAVAILABLE;
    }
    if (u < (edge += c.timeoutRate())) {
      return Fault.DEADLINE;
    }
    if (u < (edge += c.dropRate())) {
      return Fault.DROP;
    }
    if (u < (edge += c.blockRate())) {
      return Fault.BLOCK;
    }
    if (u < (edge += c.imageSafetyRate())) {
      return Fault.IMAGE_SAFETY;
    }
    if (u < edge + c.noImageRate()) {
      return Fault.NO_IMAGE;
    }
    return Fault.NONE;
  }

  /** Log-normal latency with the given mean; sigma 0 gives exactly the mean. */
  long latencyMillis(double meanMs, double sigma) {
    if (meanMs <= 0) {
      return 0;
    }
    double mu = Math.log(meanMs) - sigma * sigma / 2;
    return Math.round(Math.exp(mu + sigma * gaussian));
  }

  // MurmurHash3 fmix64: spreads nearby seeds and counters over the whole state space.
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
