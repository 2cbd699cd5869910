package io.editstream.emulator;

/** One exceeded quota: which, its limit, and how long until the request would fit. */
record QuotaViolation(QuotaKind kind, long limit, long retryMillis) {}
