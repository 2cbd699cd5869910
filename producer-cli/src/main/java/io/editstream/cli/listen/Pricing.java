package io.editstream.cli.listen;

/**
 * Prices per million tokens, to estimate cost where the processor did not.
 *
 * <p>Defaults: Gemini 3.1 Flash Image, Google AI Studio paid tier as published in early 2026: $60
 * per million output image tokens (about $0.067 per 1K image, 1120 tokens) and $0.50 per million
 * input tokens. Prices change; pass the current ones.
 */
public record Pricing(double inputPerMillion, double outputPerMillion) {
  public static final double DEFAULT_INPUT_PER_MILLION = 0.50;
  public static final double DEFAULT_OUTPUT_PER_MILLION = 60.0;

  public Pricing {
    if (inputPerMillion < 0 || outputPerMillion < 0) {
      throw new IllegalArgumentException("prices must not be negative");
    }
  }

  public double cost(long promptTokens, long outputTokens) {
    return (promptTokens * inputPerMillion + outputTokens * outputPerMillion) / 1_000_000.0;
  }
}
