package io.editstream.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of a sample, in the sample's unit. */
public final class Percentiles {
  private final double[] sorted;

  private Percentiles(double[] sorted) {
    this.sorted = sorted;
  }

  public static Percentiles of(double[] values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    return new Percentiles(copy);
  }

  public int count() {
    return sorted.length;
  }

  /** The nearest-rank {@code p}-th percentile (0 < p <= 100); NaN for an empty sample. */
  public double at(double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public double max() {
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
  }

  public double mean() {
    return sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).average().orElse(Double.NaN);
  }
}
