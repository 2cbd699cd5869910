package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class QuotaLimiterTest {

  static final Instant T0 = Instant.parse("2025-03-10T18:00:00Z");
  final MutableClock clock = new MutableClock(T0);

  @Test
  void shouldAdmitUpToRpmThenReportWhenTheOldestRequestLeavesTheWindow() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 3, 0, 0, 0);
    assertThat(limiter.tryAdmit("k", "m", 1, 10).admitted()).isTrue();
    clock.advance(Duration.ofSeconds(13));
    assertThat(limiter.tryAdmit("k", "m", 1, 10).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k", "m", 1, 10).admitted()).isTrue();

    QuotaLimiter.Admission rejected = limiter.tryAdmit("k", "m", 1, 10);

    assertThat(rejected.admitted()).isFalse();
    assertThat(rejected.violations())
        .extracting(QuotaViolation::kind)
        .containsExactly(QuotaKind.RPM);
    assertThat(rejected.retryMillis()).isEqualTo(47_000);
    assertThat(ApiError.duration(rejected.retryMillis())).isEqualTo("47s");

    clock.advance(Duration.ofMillis(46_999));
    assertThat(limiter.tryAdmit("k", "m", 1, 10).retryMillis()).isEqualTo(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(limiter.tryAdmit("k", "m", 1, 10).admitted()).isTrue();
  }

  @Test
  void shouldNotCountRejectedRequests() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 1, 0, 0, 0);
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(10));
      assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isFalse();
    }
    clock.advance(Duration.ofSeconds(10));
    // 60 s after the only admitted request: room again, the rejections left no trace.
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
  }

  @Test
  void shouldKeepSeparateWindowsPerKeyAndModel() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 1, 0, 0, 0);
    assertThat(limiter.tryAdmit("k1", "m", 1, 1).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k2", "m", 1, 1).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k1", "other", 1, 1).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k1", "m", 1, 1).admitted()).isFalse();
  }

  @Test
  void shouldLimitInputTokensWaitingUntilEnoughTokensExpire() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 0, 0, 1000, 0);
    assertThat(limiter.tryAdmit("k", "m", 1, 400).admitted()).isTrue();
    clock.advance(Duration.ofMillis(500));
    assertThat(limiter.tryAdmit("k", "m", 1, 400).admitted()).isTrue();
    clock.advance(Duration.ofMillis(500));

    QuotaLimiter.Admission rejected = limiter.tryAdmit("k", "m", 1, 700);

    // 800 in the window + 700 > 1000: both earlier requests must leave; the second leaves at
    // 60.5 s, which is 59.5 s from now.
    assertThat(rejected.violations())
        .extracting(QuotaViolation::kind)
        .containsExactly(QuotaKind.TPM);
    assertThat(rejected.retryMillis()).isEqualTo(59_500);
    assertThat(ApiError.duration(rejected.retryMillis())).isEqualTo("59.500s");
    assertThat(limiter.tryAdmit("k", "m", 1, 200).admitted()).isTrue();
  }

  @Test
  void shouldLimitOutputImagesPerMinute() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 0, 2, 0, 0);
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
    // Text-only answers use no image quota.
    assertThat(limiter.tryAdmit("k", "m", 0, 1).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
    QuotaLimiter.Admission rejected = limiter.tryAdmit("k", "m", 1, 1);
    assertThat(rejected.violations())
        .extracting(QuotaViolation::kind)
        .containsExactly(QuotaKind.IPM);
    assertThat(rejected.retryMillis()).isEqualTo(60_000);
  }

  @Test
  void shouldResetDailyQuotaAtPacificMidnight() {
    // 2025-03-10T23:59:00 in Los Angeles (PDT, UTC-7).
    clock.advance(Duration.between(T0, Instant.parse("2025-03-11T06:59:00Z")));
    QuotaLimiter limiter = new QuotaLimiter(clock, 0, 0, 0, 2);
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();

    QuotaLimiter.Admission rejected = limiter.tryAdmit("k", "m", 1, 1);

    assertThat(rejected.violations())
        .extracting(QuotaViolation::kind)
        .containsExactly(QuotaKind.RPD);
    assertThat(rejected.retryMillis()).isEqualTo(60_000);
    clock.advance(Duration.ofSeconds(60));
    assertThat(ZonedDateTime.ofInstant(clock.instant(), QuotaLimiter.QUOTA_DAY_ZONE).getHour())
        .isZero();
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
  }

  @Test
  void shouldReportEveryExceededQuotaAndTheLongestWait() {
    QuotaLimiter limiter = new QuotaLimiter(clock, 1, 0, 0, 1);
    clock.advance(Duration.between(T0, Instant.parse("2025-03-11T06:00:00Z")));
    assertThat(limiter.tryAdmit("k", "m", 1, 1).admitted()).isTrue();
    QuotaLimiter.Admission rejected = limiter.tryAdmit("k", "m", 1, 1);
    assertThat(rejected.violations())
        .extracting(QuotaViolation::kind)
        .containsExactly(QuotaKind.RPM, QuotaKind.RPD);
    assertThat(rejected.retryMillis()).isEqualTo(Duration.ofHours(1).toMillis());
  }

  @Test
  void shouldFormatDurationsAsProtobufJson() {
    assertThat(ApiError.duration(47_000)).isEqualTo("47s");
    assertThat(ApiError.duration(500)).isEqualTo("0.500s");
    assertThat(ApiError.duration(1_234)).isEqualTo("1.234s");
  }
}
