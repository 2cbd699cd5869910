package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DirectivesTest {

  @Test
  void shouldParseEachDirectiveFromMarkersAndTheHeaderTogether() {
    Directives d =
        Directives.parse(
            List.of(
                "edit [emulator:fail-times=2:503] [emulator:retry-delay=2500]",
                "more [emulator:block=prohibited_content] [emulator:finish=IMAGE_SAFETY]"),
            "noimage; drop, slow=700; nsfw; task-fail; batch=expire");

    assertThat(d)
        .isEqualTo(
            new Directives(
                503,
                2,
                "PROHIBITED_CONTENT",
                "IMAGE_SAFETY",
                true,
                true,
                700,
                true,
                true,
                Directives.BatchFate.EXPIRE,
                2500));
    assertThat(d.any()).isTrue();
  }

  @Test
  void shouldLetALaterFailReplaceAnEarlierFailTimes() {
    Directives d =
        Directives.parse(List.of("[emulator:fail-times=3:500] [emulator:fail=429]"), null);

    assertThat(d.failCode()).isEqualTo(429);
    assertThat(d.failTimes()).isZero();
    assertThat(d.slowMs()).isEqualTo(-1);
    assertThat(d.retryDelayMs()).isEqualTo(-1);
  }

  @Test
  void shouldBeNoneWithoutDirectives() {
    assertThat(Directives.parse(List.of("plain text"), " ")).isEqualTo(Directives.NONE);
    assertThat(Directives.NONE.any()).isFalse();
  }

  @Test
  void shouldNameTheBadDirective() {
    assertThatThrownBy(() -> Directives.parse(List.of("[emulator:fail-times=2]"), null))
        .hasMessageContaining("'fail-times=2'")
        .hasMessageContaining("fail-times=N:CODE");
    assertThatThrownBy(() -> Directives.parse(List.of("[emulator:fail=418]"), null))
        .hasMessageContaining("'fail=418'");
    assertThatThrownBy(() -> Directives.parse(List.of(), "slow=-5"))
        .hasMessageContaining("'slow=-5'")
        .hasMessageContaining("non-negative");
    assertThatThrownBy(() -> Directives.parse(List.of("[emulator:sparkle]"), null))
        .hasMessageContaining("'sparkle'")
        .hasMessageContaining("retry-delay=MS");
  }
}
