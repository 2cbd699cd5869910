package io.editstream.emulator;

/**
 * The quotas the emulator enforces per (API key, model), with the names Google reports (the batch
 * ones are the emulator's names for Google's batch limits).
 */
enum QuotaKind {
  RPM(
      "generativelanguage.googleapis.com/generate_requests_per_model",
      "GenerateRequestsPerMinutePerProjectPerModel"),
  IPM(
      "generativelanguage.googleapis.com/generate_content_output_images_per_model",
      "GenerateContentOutputImagesPerMinutePerProjectPerModel"),
  TPM(
      "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
      "GenerateContentPaidTierInputTokensPerModelPerMinute"),
  RPD(
      "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
      "GenerateRequestsPerDayPerProjectPerModel"),
  BATCH_CONCURRENT(
      "generativelanguage.googleapis.com/batch_concurrent_jobs", "BatchConcurrentJobsPerProject"),
  BATCH_ENQUEUED_TOKENS(
      "generativelanguage.googleapis.com/batch_enqueued_tokens",
      "BatchEnqueuedTokensPerProjectPerModel");

  private final String metric;
  private final String quotaId;

  QuotaKind(String metric, String quotaId) {
    this.metric = metric;
    this.quotaId = quotaId;
  }

  String metric() {
    return metric;
  }

  String quotaId() {
    return quotaId;
  }
}
