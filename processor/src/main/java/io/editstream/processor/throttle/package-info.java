/**
 * The quota throttle: use as much of a Gemini quota pool as exists and never more.
 *
 * <p>Public face: {@link io.editstream.processor.throttle.DispatchGate} (the instance's quota gate:
 * the pools of every model and provider behind the {@link
 * io.editstream.processor.throttle.InFlightLimit}, with a background pump), which the topology only
 * meets through one {@link io.editstream.processor.throttle.TaskGate} per task: submit a job's
 * demand, take the jobs granted a slot and a permit, settle each one with a {@link
 * io.editstream.processor.throttle.Settlement} (used, refund, rate-limited); {@link
 * io.editstream.processor.throttle.JobCost} (what a job takes from a pool) and {@link
 * io.editstream.processor.throttle.PoolDay} (a pool's Pacific day, the key of a task's durable RPD
 * count). Someone changing how quota is kept should not need to leave this package. Below the gate:
 * {@link io.editstream.processor.throttle.RoutedThrottle} (one fair queue over the pools of several
 * providers in failover order), {@link io.editstream.processor.throttle.Throttle} (queue + one
 * pool), {@link io.editstream.processor.throttle.QuotaPool} (this instance's share of one pool's
 * RPM/IPM/TPM/RPD buckets), {@link io.editstream.processor.throttle.FairScheduler} (tenants by
 * weight, INTERACTIVE before BULK), the values {@link io.editstream.processor.throttle.QuotaLimits}
 * and {@link io.editstream.processor.throttle.Cost}, and the building blocks {@link
 * io.editstream.processor.throttle.TokenBucket} and {@link
 * io.editstream.processor.throttle.DailyQuota}. Time is always injected (a Caffeine {@code Ticker}
 * for nanoseconds, a {@code java.time.Clock} for the Pacific day), so everything here is
 * deterministic under test.
 */
package io.editstream.processor.throttle;
