package io.editstream.cli.submit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {
  @Test
  void shouldReplaceEveryPlaceholder() {
    Template t = Template.parse("Put a {{ color }} {{item}} label in {{locale}}; {{color}} again");

    assertThat(t.variables()).containsExactly("color", "item", "locale");
    assertThat(t.render(Map.of("color", "red", "item", "price", "locale", "de")))
        .isEqualTo("Put a red price label in de; red again");
  }

  @Test
  void shouldKeepDollarSignsAndBackslashesOfValues() {
    assertThat(Template.parse("costs {{p}}").render(Map.of("p", "$5 \\ off")))
        .isEqualTo("costs $5 \\ off");
  }

  @Test
  void shouldNameMissingAndBlankVariables() {
    Template t = Template.parse("{{a}} {{b}}");

    assertThat(t.missing(Map.of("a", " "))).containsExactly("a", "b");
    assertThatThrownBy(() -> t.render(Map.of("a", "x"))).hasMessageContaining("b");
  }

  @Test
  void shouldRejectMalformedPlaceholders() {
    assertThatThrownBy(() -> Template.parse("hello {{name")).hasMessageContaining("{{name");
    assertThatThrownBy(() -> Template.parse("hello {{na me}}")).hasMessageContaining("malformed");
  }

  @Test
  void shouldRenderPlainTextAsItself() {
    assertThat(Template.parse("no variables {here}").render(Map.of()))
        .isEqualTo("no variables {here}");
  }
}
