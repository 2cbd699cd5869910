package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirSlotTest {

  @Test
  void shouldGiveEachRunningInstanceItsOwnDirectory(@TempDir Path base) {
    try (StateDirSlot a = StateDirSlot.claim(base);
        StateDirSlot b = StateDirSlot.claim(base)) {
      assertThat(a.dir()).isEqualTo(base.resolve("instance-0"));
      assertThat(b.dir()).isEqualTo(base.resolve("instance-1"));
      assertThat(Files.isDirectory(b.dir())).isTrue();
    }
  }

  @Test
  void shouldHandAFreedSlotToTheNextInstanceSoARestartFindsItsState(@TempDir Path base) {
    StateDirSlot first = StateDirSlot.claim(base);
    try (StateDirSlot second = StateDirSlot.claim(base)) {
      first.close();
      try (StateDirSlot restarted = StateDirSlot.claim(base)) {
        assertThat(restarted.dir()).isEqualTo(base.resolve("instance-0"));
      }
      assertThat(second.dir()).isEqualTo(base.resolve("instance-1"));
    }
  }

  @Test
  void shouldNameTheSettingWhenEverySlotIsTaken(@TempDir Path base) {
    List<StateDirSlot> held = new ArrayList<>();
    try {
      for (int i = 0; i < StateDirSlot.MAX_SLOTS; i++) {
        held.add(StateDirSlot.claim(base));
      }
      assertThatThrownBy(() -> StateDirSlot.claim(base))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("state.dir")
          .hasMessageContaining(base.toString());
    } finally {
      held.forEach(StateDirSlot::close);
    }
  }

  @Test
  void shouldNameTheSettingWhenTheBaseCannotBeCreated(@TempDir Path work) throws Exception {
    Path file = Files.writeString(work.resolve("a-file"), "x");

    assertThatThrownBy(() -> StateDirSlot.claim(file.resolve("state")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("state.dir");
  }
}
