package io.editstream.emulator;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per (API key, model) quotas over sliding windows: requests, output images and input tokens per 60
 * s, and requests per Pacific-time day. A request counts when it is admitted; a rejected request
 * leaves no trace. Time comes only from the injected clock.
 */
final class QuotaLimiter {

  static final long WINDOW_MS = 60_000;
  static final ZoneId QUOTA_DAY_ZONE = ZoneId.of("America/Los_Angeles");

  /** The outcome of one admission attempt. */
  record Admission(List<QuotaViolation> violations) {
    boolean admitted() {
      return violations.isEmpty();
    }

    /** Time until every exceeded quota has room again. */
    long retryMillis() {
      return violations.stream().mapToLong(QuotaViolation::retryMillis).max().orElse(0);
    }
  }

  private record Event(long atMillis, long images, long tokens) {}

  private final Clock clock;
  private final long rpm;
  private final long ipm;
  private final long tpm;
  private final long rpd;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  QuotaLimiter(Clock clock, long rpm, long ipm, long tpm, long rpd) {
    this.clock = clock;
    this.rpm = rpm;
    this.ipm = ipm;
    this.tpm = tpm;
    this.rpd = rpd;
  }

  boolean unlimited() {
    return rpm == 0 && ipm == 0 && tpm == 0 && rpd == 0;
  }

  /** Admits and counts the request, or reports every quota it would exceed. */
  Admission tryAdmit(String keyId, String model, long images, long inputTokens) {
    if (unlimited()) {
      return new Admission(List.of());
    }
    Bucket bucket = buckets.computeIfAbsent(keyId + "\u0000" + model, k -> new Bucket());
    return bucket.tryAdmit(clock.millis(), images, inputTokens);
  }

  void reset() {
    buckets.clear();
  }

  private final class Bucket {
    private final ArrayDeque<Event> minute = new ArrayDeque<>();
    private long dayEndsAt = Long.MIN_VALUE;
    private long dayCount;

    synchronized Admission tryAdmit(long now, long images, long tokens) {
      while (!minute.isEmpty() && minute.peekFirst().atMillis() <= now - WINDOW_MS) {
        minute.removeFirst();
      }
      if (now >= dayEndsAt) {
        dayEndsAt = nextPacificMidnight(now);
        dayCount = 0;
      }
      List<QuotaViolation> violations = new ArrayList<>(1);
      if (rpm > 0 && minute.size() + 1 > rpm) {
        violations.add(new QuotaViolation(QuotaKind.RPM, rpm, waitFor(now, 1, rpm, e -> 1)));
      }
      if (ipm > 0 && images > 0 && sum(e -> e.images()) + images > ipm) {
        violations.add(
            new QuotaViolation(QuotaKind.IPM, ipm, waitFor(now, images, ipm, Event::images)));
      }
      if (tpm > 0 && tokens > 0 && sum(Event::tokens) + tokens > tpm) {
        violations.add(
            new QuotaViolation(QuotaKind.TPM, tpm, waitFor(now, tokens, tpm, Event::tokens)));
      }
      if (rpd > 0 && dayCount + 1 > rpd) {
        violations.add(new QuotaViolation(QuotaKind.RPD, rpd, dayEndsAt - now));
      }
      if (violations.isEmpty()) {
        minute.addLast(new Event(now, images, tokens));
        dayCount++;
      }
      return new Admission(List.copyOf(violations));
    }

    private long sum(java.util.function.ToLongFunction<Event> amount) {
      long total = 0;
      for (Event e : minute) {
        total += amount.applyAsLong(e);
      }
      return total;
    }

    /** Time until enough of the oldest events leave the window for {@code need} more to fit. */
    private long waitFor(
        long now, long need, long limit, java.util.function.ToLongFunction<Event> amount) {
      if (need > limit) {
        // Never fits in one window; Google still answers 429. Suggest a full window.
        return WINDOW_MS;
      }
      long excess = sum(amount) + need - limit;
      Iterator<Event> it = minute.iterator();
      while (it.hasNext()) {
        Event e = it.next();
        excess -= amount.applyAsLong(e);
        if (excess <= 0) {
          return Math.max(1, e.atMillis() + WINDOW_MS - now);
        }
      }
      return WINDOW_MS;
    }
  }

  static long nextPacificMidnight(long nowMillis) {
    ZonedDateTime now = Instant.ofEpochMilli(nowMillis).atZone(QUOTA_DAY_ZONE);
    return now.toLocalDate().plusDays(1).atStartOfDay(QUOTA_DAY_ZONE).toInstant().toEpochMilli();
  }
}
