package io.editstream.processor.throttle;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's part of one quota pool (one project and model): a bucket per enforced limit (RPM,
 * IPM, TPM, RPD). A {@link Cost} passes only when every bucket has room, and then it is taken from
 * all of them at once.
 *
 * <h2>Why it never exceeds a sliding window</h2>
 *
 * The server counts each per-minute limit {@code L} over rolling windows of {@code W} = 60 s. For a
 * burst capacity {@code B} (see {@link QuotaLimits}) an instance with share {@code s} runs a token
 * bucket of capacity {@code s*B} and rate {@code s*(L-B)/W} that starts empty; lowering the
 * capacity drops tokens above it, raising it grants none. Such a bucket admits in any window {@code
 * [t, t+W]} at most {@code tokens(t) + integral of rate <= s(t)*B + (L-B)*avg(s)}. Summed over
 * instances whose shares add up to at most 1 at every instant, that is at most {@code B + (L-B) =
 * L}, for every window start, also while shares move (an instance joins or leaves), because a
 * rising share grants nothing. A sliding-window log would not compose like this: an instance whose
 * share rises would see an empty log and burst on top of what the previous owner admitted.
 *
 * <p>At saturation one instance admits {@code L-B} per window, paced evenly from an empty start (no
 * minute-sized bursts, which also tolerates jitter between admission and arrival), so utilization
 * is {@code 1 - burst/rpm}: 99 % with {@code burst = rpm/100}. If the path to the server adds
 * variable delay, configure {@link Builder#window} slightly above 60 s.
 *
 * <p>A single cost larger than {@code s*B} (a many-image request at a small share) raises the
 * capacity by the excess {@code X} while such costs are waiting; the rate is lowered by the largest
 * {@code X} in effect during the last window, which keeps the bound. {@code X} is limited to half
 * the share's budget; a larger cost {@linkplain #nextAvailable cannot pass} at this share. (The
 * bound can then only be exceeded if the share more than halves within a minute of such a cost.)
 *
 * <h2>Adaptive, corrected, shared</h2>
 *
 * <ul>
 *   <li>{@link #onRateLimited}: pauses until the server's {@code retryDelay} and drops banked
 *       tokens; a first or second late 429 (admission jitter) widens the window by a learned margin
 *       and leaves the rate alone, 429s that persist cut the rate (once per incident: the other
 *       calls in flight will be answered 429 too), which then recovers additively up to a ceiling.
 *   <li>{@link #correct}: refunds an over-estimate of input tokens exactly (as much as the bucket
 *       would hold had the estimate been right, which keeps the bound) and charges an
 *       under-estimate as debt (the server already counted it; we can only slow down after).
 *   <li>{@link #setShare}: called on every rebalance with owned input partitions / all partitions.
 *       The share starts at 0 (nothing passes before the first assignment).
 *   <li>RPD uses a {@link DailyQuota} of {@code share * rpd}, counting this instance's calls plus
 *       the durable counts of the tasks it took over ({@link #restoreDailyUse}, {@link
 *       #releaseDailyUse}); see docs/quota.md for what that guarantees across instances.
 * </ul>
 *
 * <p>Thread-safe: every method takes the pool's lock and costs microseconds.
 */
public final class QuotaPool {
  private static final Logger LOG = LoggerFactory.getLogger(QuotaPool.class);
  private static final double NANOS_PER_SECOND = 1e9;

  /** 429s answered within this long after an incident's pause are calls already on their way. */
  static final Duration ECHO = Duration.ofSeconds(2);

  /**
   * Incidents in a row (each within two windows of the one before) from which 429s persist: the
   * first two widen the margin. Late arrivals after a cold start or a stall come as a band, so
   * their echo can bring a second incident a few seconds after the first (side-by-side: two 429s 4
   * s apart, one window after a cold start, cut the rate to 0.7 and held it at 0.9 for the rest of
   * the run, when a margin of 0.4 s was all it took).
   */
  static final int PERSISTENT_INCIDENTS = 3;

  /** A retryDelay above this says the server's window stays full for long: we are well ahead. */
  static final Duration LONG_RETRY_DELAY = Duration.ofSeconds(2);

  /** The learned window margin never exceeds this (nor 1/30 of the window). */
  static final Duration MAX_MARGIN = Duration.ofSeconds(2);

  /** After a hard cut the rate recovers quickly up to this fraction of where 429s persisted. */
  static final double CEILING_FRACTION = 0.9;

  /** Windows without a 429 after which the ceiling moves halfway up to the known-bad rate. */
  static final int CEILING_RELAX_WINDOWS = 2;

  /** The ceiling stays this fraction below the known-bad rate (until it is forgotten). */
  static final double CEILING_BELOW_BAD = 0.98;

  /** Windows without a 429 after which the known-bad rate is forgotten (full rate again). */
  static final int CEILING_FORGET_WINDOWS = 30;

  private final String name;
  private final String provider;
  private final Tags tags;
  private final QuotaLimits limits;
  private final Ticker ticker;
  private final long windowNanos;
  private final double decreaseFactor;
  private final double minRateFactor;
  private final double recoveryPerSecond;
  private final Map<Bucket, Lane> lanes = new EnumMap<>(Bucket.class);
  private final DailyQuota daily;
  private final Clock clock;
  private final Counter rateLimitedCounter;

  /** Until when a per-day 429 holds the pool (midnight Pacific); {@link Instant#MIN} = not held. */
  private Instant heldUntil = Instant.MIN;

  private double share;
  private double cutFactor = 1;
  private long pausedUntilNanos;
  private long rateLimitedCount;

  // Proportionate 429 handling (see onRateLimited).
  private final long maxMarginNanos;
  private long marginNanos;
  private boolean hadIncident;
  private long incidentAtNanos;
  // Incidents in a row, each within two windows of the one before.
  private int incidentsInARow;
  private long echoUntilNanos;
  private boolean incidentHard;
  private long lastRateLimitedNanos;

  /** Where a hard cut left the ceiling; it relaxes with time without 429s (see ceiling()). */
  private double ceilingAtCut = 1;

  /** The lowest rate factor at which 429s persisted (1 = none known). */
  private double badFactor = 1;

  private QuotaPool(Builder b) {
    this.name = b.name;
    this.provider = b.provider;
    this.tags =
        b.provider == null ? Tags.of("pool", name) : Tags.of("pool", name, "provider", b.provider);
    this.limits = b.limits;
    this.ticker = b.ticker;
    this.windowNanos = b.window.toNanos();
    this.decreaseFactor = b.decreaseFactor;
    this.minRateFactor = b.minRateFactor;
    this.recoveryPerSecond = b.recoveryPerSecond;
    this.share = b.initialShare;
    long now = ticker.read();
    this.pausedUntilNanos = now;
    this.maxMarginNanos = Math.min(MAX_MARGIN.toNanos(), windowNanos / 30);
    this.lastRateLimitedNanos = now;
    for (Bucket bucket :
        List.of(
            Bucket.REQUESTS_PER_MINUTE, Bucket.IMAGES_PER_MINUTE, Bucket.INPUT_TOKENS_PER_MINUTE)) {
      long limit = limits.limit(bucket);
      if (limit > 0) {
        lanes.put(
            bucket, new Lane(bucket, limit, limits.burstCapacity(bucket), windowNanos, ticker));
      }
    }
    this.clock = b.clock;
    this.daily = limits.rpd() > 0 ? new DailyQuota(share * limits.rpd(), b.clock) : null;
    updateLanes(now);
    if (b.registry != null) {
      this.rateLimitedCounter =
          Counter.builder("editstream.throttle.rate.limited")
              .description("429 answers received for this pool")
              .tags(tags)
              .register(b.registry);
      registerGauges(b.registry);
    } else {
      this.rateLimitedCounter = null;
    }
  }

  /** A builder for the pool {@code name} with the given limits. */
  public static Builder builder(String name, QuotaLimits limits) {
    return new Builder(name, limits);
  }

  public String name() {
    return name;
  }

  /** The provider whose pool this is, or null when not set ({@link Builder#provider}). */
  public String provider() {
    return provider;
  }

  public QuotaLimits limits() {
    return limits;
  }

  /** Takes {@code cost} from every bucket if all have room now; otherwise takes nothing. */
  public synchronized Optional<Permit> tryAcquire(Cost cost) {
    Objects.requireNonNull(cost, "cost");
    long now = ticker.read();
    if (!prepare(cost, now) || isPaused(now) || isHeldForTheDay()) {
      return Optional.empty();
    }
    if (daily != null && daily.remaining() < cost.requests()) {
      return Optional.empty();
    }
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0 && !lane.hasRoom(n, now)) {
        return Optional.empty();
      }
    }
    long[] seqs = new long[Bucket.values().length];
    java.util.Arrays.fill(seqs, -1);
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0) {
        seqs[lane.bucket().ordinal()] = lane.charge(n, now);
      }
    }
    if (daily != null) {
      daily.tryAcquire(cost.requests());
    }
    return Optional.of(new Permit(this, cost, now, seqs));
  }

  /**
   * How long until {@code cost} could pass at the current rates ({@link Duration#ZERO} = now), for
   * scheduling a wake-up; empty if it cannot pass at this instance's current share at all.
   */
  public synchronized Optional<Duration> nextAvailable(Cost cost) {
    Objects.requireNonNull(cost, "cost");
    long now = ticker.read();
    if (!prepare(cost, now)) {
      return Optional.empty();
    }
    long wait = Math.max(0, pausedUntilNanos - now);
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0) {
        long w = lane.nanosUntil(n, now);
        if (w == Long.MAX_VALUE) {
          return Optional.empty();
        }
        wait = Math.max(wait, w);
      }
    }
    if (daily != null && daily.remaining() < cost.requests()) {
      wait = Math.max(wait, daily.untilReset().toNanos());
    }
    if (isHeldForTheDay()) {
      wait = Math.max(wait, Duration.between(clock.instant(), heldUntil).toNanos());
    }
    return Optional.of(Duration.ofNanos(wait));
  }

  /** Whether {@code cost} could ever pass this pool (at a full share); false = reject the job. */
  public boolean canEverAdmit(Cost cost) {
    return fitsAt(cost, 1.0);
  }

  /**
   * Corrects the input tokens of an admitted call from the model's {@code usageMetadata}. Applies
   * once per permit; corrections of calls older than one window change nothing.
   */
  public synchronized void correct(Permit permit, long actualInputTokens) {
    Objects.requireNonNull(permit, "permit");
    if (actualInputTokens < 0) {
      throw new IllegalArgumentException(
          "actualInputTokens must be >= 0 but was " + actualInputTokens);
    }
    if (permit.pool != this) {
      throw new IllegalArgumentException("permit " + permit + " is not from pool " + name);
    }
    Lane lane = lanes.get(Bucket.INPUT_TOKENS_PER_MINUTE);
    if (lane == null || !permit.markCorrected()) {
      return;
    }
    long now = ticker.read();
    updateLanes(now);
    long delta = permit.cost().estimatedInputTokens() - actualInputTokens;
    if (delta > 0) {
      lane.refund(delta, permit.seq(Bucket.INPUT_TOKENS_PER_MINUTE), permit.admittedAtNanos(), now);
    } else if (delta < 0) {
      lane.debit(-delta, now);
    }
  }

  /**
   * The admitted call leaves for the server now (its dispatch committed, its images loaded): from
   * here on its admission counts from now in the sliding log, which so frees its slot one window
   * after the server counted it rather than one window after the grant (see {@link Lane#restamp}).
   * Once per permit is enough; later calls change nothing but the stamp.
   */
  public synchronized void started(Permit permit) {
    Objects.requireNonNull(permit, "permit");
    if (permit.pool != this) {
      throw new IllegalArgumentException("permit " + permit + " is not from pool " + name);
    }
    long now = ticker.read();
    updateLanes(now);
    for (Lane lane : lanes.values()) {
      long seq = permit.seq(lane.bucket());
      if (seq >= 0) {
        lane.restamp(seq, permit.admittedAtNanos(), now);
      }
    }
  }

  /**
   * The admitted call never reached the server (the dedup cache answered it, or it was abandoned
   * before sending): gives its charge back to every bucket, exactly as much as each would now hold
   * had the call never been admitted, so the sliding-window bound still holds. Applies once per
   * permit; a token correction already applied is not given back twice.
   */
  public synchronized void refund(Permit permit) {
    Objects.requireNonNull(permit, "permit");
    if (permit.pool != this) {
      throw new IllegalArgumentException("permit " + permit + " is not from pool " + name);
    }
    boolean tokensCorrected = permit.corrected();
    if (!permit.markRefunded()) {
      return;
    }
    long now = ticker.read();
    updateLanes(now);
    for (Lane lane : lanes.values()) {
      if (lane.bucket() == Bucket.INPUT_TOKENS_PER_MINUTE && tokensCorrected) {
        continue; // the actual count was reported, so the call did reach the server
      }
      long n = permit.cost().amount(lane.bucket());
      if (n > 0) {
        lane.refund(n, permit.seq(lane.bucket()), permit.admittedAtNanos(), now);
      }
    }
    if (daily != null) {
      daily.refund(permit.cost().requests());
    }
  }

  /**
   * A call this pool did not admit reached its provider anyway (the provider router moved it here
   * from a failing provider): charges its cost after the fact, into debt where a bucket has no
   * room, so the pool slows down by as much as the call used. Nothing to correct later.
   */
  public synchronized void chargeAfterTheFact(Cost cost) {
    Objects.requireNonNull(cost, "cost");
    long now = ticker.read();
    updateLanes(now);
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0) {
        lane.debit(n, now);
      }
    }
    if (daily != null) {
      daily.forceAcquire(cost.requests());
    }
  }

  /**
   * The Pacific day this pool's RPD counts now; empty if the pool has no RPD (nothing to persist).
   */
  public synchronized Optional<LocalDate> dailyQuotaDay() {
    return daily == null ? Optional.empty() : Optional.of(daily.day());
  }

  /**
   * Counts {@code requests} that calls started on {@code day} by a task that now runs here (its
   * durable count, restored on a restart or a rebalance); ignored for another day than today.
   */
  public synchronized void restoreDailyUse(LocalDate day, long requests) {
    if (daily != null) {
      daily.restore(day, requests);
    }
  }

  /** The task that started {@code requests} calls on {@code day} no longer runs here. */
  public synchronized void releaseDailyUse(LocalDate day, long requests) {
    if (daily != null) {
      daily.release(day, requests);
    }
  }

  /**
   * What earlier owners of this pool admitted (requests per wall-clock second, by epoch second), as
   * restored from the tasks' stores, and at most {@code unseen} more admitted after that was
   * written: from now on the pool makes up what a gap left unused (at the full share) and keeps
   * what it admits after each share change within its share of what the window left (below it). See
   * {@code Lane#restoreHistory}; the requests-per-minute limit only. Replaces the previous history
   * (the caller merges all it knows).
   */
  public synchronized void restoreHistory(
      java.util.NavigableMap<Long, Long> requestsPerSecond, long unseen) {
    Lane lane = lanes.get(Bucket.REQUESTS_PER_MINUTE);
    if (lane == null) {
      return;
    }
    long now = ticker.read();
    updateLanes(now);
    long nowMs = clock.millis();
    java.util.TreeMap<Long, Long> atNanos = new java.util.TreeMap<>();
    // The end of each second: the latest its calls can have been admitted (the safe side).
    requestsPerSecond.forEach(
        (second, n) ->
            atNanos.merge(now - (nowMs - (second + 1) * 1000) * 1_000_000L, n, Long::sum));
    lane.restoreHistory(atNanos, unseen, now);
    updateLanes(now);
  }

  /**
   * This instance's own admissions of the last window, requests per wall-clock second (by epoch
   * second): what it writes down so that a later owner can {@linkplain #restoreHistory restore} it.
   * Empty without a requests-per-minute limit.
   */
  public synchronized java.util.NavigableMap<Long, Long> requestsPerSecond() {
    java.util.TreeMap<Long, Long> out = new java.util.TreeMap<>();
    Lane lane = lanes.get(Bucket.REQUESTS_PER_MINUTE);
    if (lane == null) {
      return out;
    }
    long now = ticker.read();
    updateLanes(now);
    long nowMs = clock.millis();
    for (long[] e : lane.ownAdmissions()) {
      out.merge(Math.floorDiv(nowMs - (now - e[0]) / 1_000_000L, 1000L), e[1], Long::sum);
    }
    return out;
  }

  /**
   * The server answered 429 for a per-minute quota with {@code retryDelay}. The pool always pauses
   * until then (the server says there is no room before). Beyond that the answer is proportionate:
   *
   * <ul>
   *   <li>A first or second 429 incident in a row (the second within two windows of the first),
   *       with a short retryDelay, is admission jitter: the server's window and ours are offset by
   *       the variable delay between admission here and arrival there. The pool drops banked tokens
   *       and widens its window by one admission interval ({@code window / (share * rpm)}) plus the
   *       retryDelay (how long the server's window stays full: how far ours trails it), and by one
   *       interval for each 429 answered within {@link #ECHO} after the pause (calls that were
   *       already on their way), up to {@link #MAX_MARGIN}: the learned offset, kept for the pool's
   *       lifetime. The rate is not cut.
   *   <li>429s that persist (a third incident in a row, {@link #PERSISTENT_INCIDENTS}), a long
   *       retryDelay (above {@link #LONG_RETRY_DELAY}: the server's window stays full, we are well
   *       ahead of it) or a margin already at its maximum: the rate is cut (×{@code
   *       decreaseFactor}, once per incident) and recovers at {@code recoveryPerSecond} up to a
   *       ceiling of {@link #CEILING_FRACTION} of the rate at which the 429s persisted; the ceiling
   *       moves halfway up to 98 % of the lowest such rate after every {@link
   *       #CEILING_RELAX_WINDOWS} windows without a 429, and back to the full rate after {@link
   *       #CEILING_FORGET_WINDOWS}. While a ceiling is in effect every 429 counts as persistent. So
   *       a server limit below the configured one is approached from below in a few cuts and then
   *       held, not probed every minute.
   * </ul>
   */
  public synchronized void onRateLimited(Duration retryDelay) {
    Objects.requireNonNull(retryDelay, "retryDelay");
    if (retryDelay.isNegative()) {
      throw new IllegalArgumentException("retryDelay must be >= 0 but was " + retryDelay);
    }
    long now = ticker.read();
    rateLimitedCount++;
    if (rateLimitedCounter != null) {
      rateLimitedCounter.increment();
    }
    double before = rateFactor(now);
    updateLanes(now); // settle the past at the old rate
    if (now - lastRateLimitedNanos >= CEILING_FORGET_WINDOWS * effectiveWindowNanos()) {
      badFactor = 1; // what persisted long ago says nothing now
    }
    long until = now + retryDelay.toNanos();
    pausedUntilNanos = Math.max(pausedUntilNanos, until);
    lastRateLimitedNanos = now;
    if (hadIncident && now - echoUntilNanos < 0) {
      // A call that was already on its way when the incident began. (The echo is not extended:
      // 429s that keep coming are a new incident, and a persistent one.)
      if (!incidentHard) {
        widenMargin();
      }
      updateLanes(now);
      return;
    }
    boolean again = hadIncident && now - incidentAtNanos <= 2 * effectiveWindowNanos();
    incidentsInARow = again ? incidentsInARow + 1 : 1;
    boolean persistent =
        incidentsInARow >= PERSISTENT_INCIDENTS
            || ceiling(now) < 1 // back at a rate where 429s persisted before
            || retryDelay.compareTo(LONG_RETRY_DELAY) > 0
            || marginNanos >= maxMarginNanos;
    hadIncident = true;
    incidentAtNanos = now;
    incidentHard = persistent;
    echoUntilNanos = pausedUntilNanos + ECHO.toNanos();
    for (Lane lane : lanes.values()) {
      lane.dropTokens(now);
    }
    if (persistent) {
      cutFactor = Math.max(minRateFactor, before * decreaseFactor);
      badFactor = Math.min(badFactor, before);
      ceilingAtCut = Math.max(cutFactor, before * CEILING_FRACTION);
      updateLanes(now);
      LOG.warn(
          "pool {}: rate limited again, pausing {} ms, rate factor {} -> {} (recovering up to {})",
          label(),
          retryDelay.toMillis(),
          String.format("%.2f", before),
          String.format("%.2f", cutFactor),
          String.format("%.2f", ceilingAtCut));
    } else {
      long old = marginNanos;
      // The server's retryDelay is how long its window stays full: how far our window trails its.
      marginNanos = Math.min(maxMarginNanos, marginNanos + retryDelay.toNanos());
      widenMargin();
      updateLanes(now);
      LOG.info(
          "pool {}: a late 429, pausing {} ms, window margin {} ms -> {} ms, rate unchanged",
          label(),
          retryDelay.toMillis(),
          old / 1_000_000,
          marginNanos / 1_000_000);
    }
  }

  /** One admission interval more of window margin, up to the maximum. */
  private void widenMargin() {
    Lane requests = lanes.get(Bucket.REQUESTS_PER_MINUTE);
    Lane any = requests != null ? requests : lanes.values().stream().findFirst().orElse(null);
    if (any == null || share <= 0) {
      return;
    }
    double perWindow = share * any.limit();
    long step = (long) Math.ceil(effectiveWindowNanos() / Math.max(1, perWindow));
    marginNanos = Math.min(maxMarginNanos, marginNanos + step);
  }

  private long effectiveWindowNanos() {
    return windowNanos + marginNanos;
  }

  /**
   * The server answered 429 naming a per-day quota (its quotaId contains "PerDay"): nothing passes
   * before midnight Pacific, whatever its retryDelay, so the pool admits nothing until then. No
   * rate cut: the per-minute rates were not the problem. Counted as a 429.
   */
  public synchronized void onDailyQuotaSpent() {
    rateLimitedCount++;
    if (rateLimitedCounter != null) {
      rateLimitedCounter.increment();
    }
    Instant reset = DailyQuota.nextReset(clock.instant());
    if (reset.isAfter(heldUntil)) {
      heldUntil = reset;
      LOG.warn(
          "pool {}: the server says its per-day quota is spent; holding its jobs until {}"
              + " (midnight Pacific)",
          label(),
          reset);
    }
  }

  /** Until when a per-day 429 holds the pool; empty when it is not held. */
  public synchronized Optional<Instant> heldUntil() {
    return isHeldForTheDay() ? Optional.of(heldUntil) : Optional.empty();
  }

  private boolean isHeldForTheDay() {
    return clock.instant().isBefore(heldUntil);
  }

  /**
   * Sets this instance's share of the pool (owned input partitions / all input partitions), on
   * every rebalance. A lower share drops banked tokens above the new capacity; a higher one grants
   * no burst.
   */
  public synchronized void setShare(double fraction) {
    if (Double.isNaN(fraction) || fraction < 0 || fraction > 1) {
      throw new IllegalArgumentException("share must be in [0, 1] but was " + fraction);
    }
    long now = ticker.read();
    updateLanes(now); // settle the past at the old share
    double old = share;
    share = fraction;
    updateLanes(now);
    if (daily != null) {
      daily.setLimit(fraction * limits.rpd());
    }
    if (old != fraction) {
      LOG.info("pool {}: share {} -> {}", label(), old, fraction);
    }
  }

  public synchronized double share() {
    return share;
  }

  /** A consistent view for metrics and tests. */
  public synchronized Snapshot snapshot() {
    long now = ticker.read();
    updateLanes(now);
    Map<Bucket, BucketSnapshot> buckets = new EnumMap<>(Bucket.class);
    for (Lane lane : lanes.values()) {
      buckets.put(lane.bucket(), lane.snapshot(now));
    }
    if (daily != null) {
      double dailyLimit = daily.limit();
      buckets.put(
          Bucket.REQUESTS_PER_DAY,
          new BucketSnapshot(
              Bucket.REQUESTS_PER_DAY,
              limits.rpd(),
              dailyLimit,
              dailyLimit,
              daily.remaining(),
              0,
              daily.used(),
              dailyLimit > 0 ? daily.used() / dailyLimit : 0));
    }
    return new Snapshot(
        name,
        share,
        rateFactor(now),
        Duration.ofNanos(Math.max(0, pausedUntilNanos - now)),
        rateLimitedCount,
        buckets,
        Duration.ofNanos(marginNanos));
  }

  // ---- internals ----

  private String label() {
    return provider == null ? name : provider + "/" + name;
  }

  Ticker ticker() {
    return ticker;
  }

  long windowNanos() {
    return windowNanos;
  }

  /** Brings lanes to now, checks the cost fits this share, registers oversized demand. */
  private boolean prepare(Cost cost, long now) {
    updateLanes(now);
    if (!fitsAt(cost, share)) {
      return false;
    }
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0 && !lane.registerDemand(n, now)) {
        return false;
      }
    }
    updateLanes(now);
    return true;
  }

  private boolean fitsAt(Cost cost, double atShare) {
    for (Lane lane : lanes.values()) {
      long n = cost.amount(lane.bucket());
      if (n > 0 && !lane.fits(n, atShare)) {
        return false;
      }
    }
    return limits.rpd() == 0 || cost.requests() <= atShare * limits.rpd();
  }

  private void updateLanes(long now) {
    double factor = rateFactor(now);
    for (Lane lane : lanes.values()) {
      lane.update(now, share, factor, marginNanos);
    }
  }

  private boolean isPaused(long now) {
    return now - pausedUntilNanos < 0;
  }

  private double rateFactor(long now) {
    if (cutFactor >= 1) {
      return 1;
    }
    if (isPaused(now)) {
      return cutFactor;
    }
    double recovered = cutFactor + recoveryPerSecond * (now - pausedUntilNanos) / NANOS_PER_SECOND;
    double ceiling = ceiling(now);
    if (recovered >= 1 && ceiling >= 1) {
      cutFactor = 1; // fully recovered: forget the cut
      ceilingAtCut = 1;
      badFactor = 1;
      return 1;
    }
    return Math.min(recovered, Math.max(ceiling, cutFactor));
  }

  /**
   * The ceiling after a hard cut: halfway up to {@link #CEILING_BELOW_BAD} of the lowest rate at
   * which 429s persisted after every {@link #CEILING_RELAX_WINDOWS} windows without a 429 (so a
   * server limit below that rate is approached from below instead of being overshot every minute);
   * back to the full rate after {@link #CEILING_FORGET_WINDOWS} windows without a 429.
   */
  private double ceiling(long now) {
    if (ceilingAtCut >= 1) {
      return 1;
    }
    long quiet = Math.max(0, now - lastRateLimitedNanos);
    if (quiet >= CEILING_FORGET_WINDOWS * effectiveWindowNanos()) {
      return 1;
    }
    long periods = quiet / (CEILING_RELAX_WINDOWS * effectiveWindowNanos());
    double top = CEILING_BELOW_BAD * badFactor;
    double gap = Math.max(0, top - ceilingAtCut) * Math.pow(0.5, periods);
    return top - gap;
  }

  private synchronized double tokensAvailable(Bucket bucket) {
    long now = ticker.read();
    updateLanes(now);
    if (bucket == Bucket.REQUESTS_PER_DAY) {
      return daily.remaining();
    }
    return lanes.get(bucket).available(now);
  }

  private double used(Bucket bucket) {
    BucketSnapshot s = snapshot().buckets().get(bucket);
    return s == null ? 0 : s.usedInWindow();
  }

  private double utilization(Bucket bucket) {
    BucketSnapshot s = snapshot().buckets().get(bucket);
    return s == null ? 0 : s.utilization();
  }

  private void registerGauges(MeterRegistry registry) {
    List<Bucket> enforced = new ArrayList<>(lanes.keySet());
    if (daily != null) {
      enforced.add(Bucket.REQUESTS_PER_DAY);
    }
    for (Bucket bucket : enforced) {
      Gauge.builder("editstream.throttle.tokens", this, p -> p.tokensAvailable(bucket))
          .description("tokens available now in this instance's share of the bucket")
          .tags(tags.and("bucket", bucket.tag()))
          .register(registry);
      Gauge.builder("editstream.throttle.utilization", this, p -> p.utilization(bucket))
          .description(
              "used in the last window (today for rpd) / this instance's share of the limit")
          .tags(tags.and("bucket", bucket.tag()))
          .register(registry);
      // Shares move between instances, so a pool's fill level is sum(used) / limit over all of
      // them: what alerts and dashboards need, whoever owns which partitions at the moment.
      Gauge.builder("editstream.throttle.used", this, p -> p.used(bucket))
          .description("admitted by this instance in the last window (today, Pacific, for rpd)")
          .tags(tags.and("bucket", bucket.tag()))
          .register(registry);
      Gauge.builder("editstream.throttle.limit", this, p -> p.limits.limit(bucket))
          .description("the whole pool's configured limit, the same on every instance")
          .tags(tags.and("bucket", bucket.tag()))
          .register(registry);
    }
    Gauge.builder(
            "editstream.throttle.held.until",
            this,
            p -> p.heldUntil().map(i -> (double) i.getEpochSecond()).orElse(0.0))
        .description(
            "epoch seconds until which a per-day 429 holds the pool (midnight Pacific); 0 = not"
                + " held")
        .tags(tags)
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("editstream.throttle.share", this, QuotaPool::share)
        .description("this instance's share of the pool")
        .tags(tags)
        .register(registry);
    Gauge.builder("editstream.throttle.rate.factor", this, p -> p.snapshot().rateFactor())
        .description("adaptive rate factor (the cut): 1 = full share, lower after 429s persisted")
        .tags(tags)
        .register(registry);
    Gauge.builder(
            "editstream.throttle.window.margin",
            this,
            p -> p.snapshot().windowMargin().toNanos() / NANOS_PER_SECOND)
        .description("what late 429s added to the configured window (the learned offset)")
        .tags(tags)
        .baseUnit("seconds")
        .register(registry);
  }

  /**
   * One bucket as seen now.
   *
   * @param bucket which bucket
   * @param limit the configured limit for the whole pool
   * @param shareLimit this instance's share of it
   * @param capacity current capacity (burst) of this instance's bucket
   * @param available tokens available now (negative while in debt; for rpd: left today)
   * @param ratePerSecond current refill rate (0 for rpd)
   * @param usedInWindow admitted in the last window (for rpd: today)
   * @param utilization usedInWindow / shareLimit
   */
  public record BucketSnapshot(
      Bucket bucket,
      long limit,
      double shareLimit,
      double capacity,
      double available,
      double ratePerSecond,
      double usedInWindow,
      double utilization) {}

  /**
   * The pool as seen now.
   *
   * @param pool pool name
   * @param share this instance's share
   * @param rateFactor adaptive factor (1 = full rate)
   * @param pausedFor remaining pause after a 429
   * @param rateLimited 429s received since start
   * @param buckets the enforced buckets
   * @param windowMargin what late 429s added to the configured window (see {@link #onRateLimited})
   */
  public record Snapshot(
      String pool,
      double share,
      double rateFactor,
      Duration pausedFor,
      long rateLimited,
      Map<Bucket, BucketSnapshot> buckets,
      Duration windowMargin) {
    public Snapshot {
      buckets = Map.copyOf(buckets);
    }
  }

  /** Builds a {@link QuotaPool}; every setting is validated when set. */
  public static final class Builder {
    private final String name;
    private final QuotaLimits limits;
    private String provider;
    private Ticker ticker = Ticker.systemTicker();
    private Clock clock = Clock.systemUTC();
    private Duration window = Duration.ofSeconds(60);
    private double decreaseFactor = 0.7;
    private double minRateFactor = 0.1;
    private double recoveryPerSecond = 0.05;
    private double initialShare;
    private MeterRegistry registry;

    private Builder(String name, QuotaLimits limits) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name must be a non-blank pool name but was " + name);
      }
      this.name = name;
      this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Nanosecond time for the per-minute buckets (default: {@link Ticker#systemTicker()}). */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Wall clock for the daily reset (default: system UTC clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The server's rolling window (default 60 s); a little more absorbs network jitter. */
    public Builder window(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("window must be >= 1s but was " + window);
      }
      this.window = window;
      return this;
    }

    /**
     * Adaptive behaviour when 429s persist ({@link QuotaPool#onRateLimited}): the rate is
     * multiplied by {@code decreaseFactor} (default 0.7), never below {@code minRateFactor}
     * (default 0.1) of the share, and recovers by {@code recoveryPerSecond} (default 0.05) of the
     * share's rate per second once the pause is over, up to the ceiling.
     */
    public Builder rateLimitResponse(
        double decreaseFactor, double minRateFactor, double recoveryPerSecond) {
      if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
        throw new IllegalArgumentException(
            "decreaseFactor must be in (0, 1) but was " + decreaseFactor);
      }
      if (!(minRateFactor > 0 && minRateFactor <= 1)) {
        throw new IllegalArgumentException(
            "minRateFactor must be in (0, 1] but was " + minRateFactor);
      }
      if (!(recoveryPerSecond > 0 && recoveryPerSecond <= 1)) {
        throw new IllegalArgumentException(
            "recoveryPerSecond must be in (0, 1] but was " + recoveryPerSecond);
      }
      this.decreaseFactor = decreaseFactor;
      this.minRateFactor = minRateFactor;
      this.recoveryPerSecond = recoveryPerSecond;
      return this;
    }

    /** The share before the first {@link QuotaPool#setShare} (default 0: nothing passes). */
    public Builder initialShare(double share) {
      if (Double.isNaN(share) || share < 0 || share > 1) {
        throw new IllegalArgumentException("initialShare must be in [0, 1] but was " + share);
      }
      this.initialShare = share;
      return this;
    }

    /**
     * The provider whose quota this is (one pool per provider and model): its meters are tagged
     * {@code provider} too, and log lines name it.
     */
    public Builder provider(String provider) {
      if (provider == null || provider.isBlank()) {
        throw new IllegalArgumentException("provider must be a non-blank name but was " + provider);
      }
      this.provider = provider;
      return this;
    }

    /**
     * Registers gauges and the 429 counter, tagged {@code pool}, {@code bucket} (and {@code
     * provider} when set).
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    public QuotaPool build() {
      return new QuotaPool(this);
    }
  }
}
