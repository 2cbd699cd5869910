package io.editstream.bench.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemorySectionTest {

  private static MemorySection section(String value) {
    return new MemorySection("Memory", "java -jar bench.jar memory", "Run: now.")
        .fact("a fact")
        .columns("backlog jobs", "peak heap used")
        .row("500", value)
        .note("a note");
  }

  @Test
  void shouldRenderAMarkedTableWithOneColumnPerHeader() {
    String md = section("100 MiB").markdown();

    assertThat(md)
        .startsWith("<!-- bench:memory:start -->\n## Memory\n")
        .contains("Command: `java -jar bench.jar memory`")
        .contains("| backlog jobs | peak heap used |\n|---:|---:|\n| 500 | 100 MiB |\n")
        .contains("- a note\n")
        .endsWith("<!-- bench:memory:end -->\n");
  }

  @Test
  void shouldReplaceOnlyItsOwnSection() {
    String doc =
        "# Benchmarks\n\n<!-- bench:other:start -->\nother\n<!-- bench:other:end -->\n\n"
            + section("1 MiB").markdown()
            + "\ntrailer\n";

    String updated = section("2 MiB").replaceIn(doc);

    assertThat(updated)
        .contains("<!-- bench:other:start -->\nother\n<!-- bench:other:end -->")
        .contains("| 500 | 2 MiB |")
        .doesNotContain("| 500 | 1 MiB |")
        .endsWith("<!-- bench:memory:end -->\n\ntrailer\n");
  }

  @Test
  void shouldAppendTheSectionWhenTheDocHasNone() {
    String updated = section("2 MiB").replaceIn("# Benchmarks\n");

    assertThat(updated).startsWith("# Benchmarks\n\n<!-- bench:memory:start -->");
  }

  @Test
  void shouldRejectARowWithTheWrongNumberOfCells() {
    assertThatThrownBy(() -> section("1").row("only one"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 2 cells");
  }
}
