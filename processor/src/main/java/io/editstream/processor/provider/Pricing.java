package io.editstream.processor.provider;

import io.editstream.processor.model.Outcome;

/**
 * What one provider charges, for the estimated cost on results: per million input and output tokens
 * (Google bills tokens) and per model call that returns an image (WaveSpeed bills images). All in
 * US dollars; zero where the provider does not charge that way.
 */
public record Pricing(double inputPerMillionUsd, double outputPerMillionUsd, double perImageUsd) {

  public static final Pricing FREE = new Pricing(0, 0, 0);

  public Pricing {
    if (inputPerMillionUsd < 0 || outputPerMillionUsd < 0 || perImageUsd < 0) {
      throw new IllegalArgumentException("prices must be >= 0");
    }
  }

  public static Pricing perToken(double inputPerMillionUsd, double outputPerMillionUsd) {
    return new Pricing(inputPerMillionUsd, outputPerMillionUsd, 0);
  }

  public static Pricing perImage(double usd) {
    return new Pricing(0, 0, usd);
  }

  /** The cost of a success that took {@code calls} model calls (one per step of the job). */
  public double cost(Outcome.Success success, int calls) {
    return success.usage().promptTokens() * inputPerMillionUsd / 1e6
        + success.usage().outputTokens() * outputPerMillionUsd / 1e6
        + calls * perImageUsd;
  }
}
