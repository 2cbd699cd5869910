package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestTopicsTest {

  @Test
  void namesAreUniqueAndKeepThePrefix() {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      names.add(TestTopics.unique("jobs.in_put-1"));
    }
    assertThat(names).hasSize(1000).allMatch(n -> n.matches("jobs\\.in_put-1-[0-9a-f]{8}-\\d+"));
  }

  @Test
  void illegalPrefixIsRejectedWithTheValue() {
    assertThatThrownBy(() -> TestTopics.unique("bad topic"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"bad topic\"");
    assertThatThrownBy(() -> TestTopics.unique("")).isInstanceOf(IllegalArgumentException.class);
  }
}
