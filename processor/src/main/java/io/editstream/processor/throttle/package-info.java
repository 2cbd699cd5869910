/**
 * The quota throttle: use as much of a Gemini quota pool as exists and never more.
 *
 * <p>Public face: {@link io.editstream.processor.throttle.RoutedThrottle} (one fair queue over the
 * pools of several providers in failover order, what the topology calls), {@link
 * io.editstream.processor.throttle.Throttle} (queue + one pool), {@link
 * io.editstream.processor.throttle.QuotaPool} (this instance's share of one pool's RPM/IPM/TPM/RPD
 * buckets), {@link io.editstream.processor.throttle.FairScheduler} (tenants by weight, INTERACTIVE
 * before BULK), the values {@link io.editstream.processor.throttle.QuotaLimits} and {@link
 * io.editstream.processor.throttle.Cost}, and the building blocks {@link
 * io.editstream.processor.throttle.TokenBucket} and {@link
 * io.editstream.processor.throttle.DailyQuota}. Time is always injected (a Caffeine {@code Ticker}
 * for nanoseconds, a {@code java.time.Clock} for the Pacific day), so everything here is
 * deterministic under test.
 */
package io.editstream.processor.throttle;
