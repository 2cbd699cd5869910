package io.editstream.cli.submit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An instruction template: text with {@code {{name}}} placeholders (spaces inside the braces are
 * allowed; names are letters, digits, {@code _ . -}). Text without placeholders renders as itself.
 */
public final class Template {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.\\-]+)\\s*}}");

  private final String text;
  private final Set<String> variables;

  private Template(String text, Set<String> variables) {
    this.text = text;
    this.variables = variables;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException when a {@code {{} is not closed or holds no valid name
   */
  public static Template parse(String text) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = PLACEHOLDER.matcher(text);
    int end = 0;
    while (m.find()) {
      checkNoStrayBraces(text.substring(end, m.start()));
      names.add(m.group(1));
      end = m.end();
    }
    checkNoStrayBraces(text.substring(end));
    return new Template(text, Collections.unmodifiableSet(names));
  }

  private static void checkNoStrayBraces(String between) {
    int open = between.indexOf("{{");
    if (open >= 0) {
      String rest = between.substring(open);
      throw new IllegalArgumentException(
          "malformed placeholder \""
              + (rest.length() > 30 ? rest.substring(0, 30) + "…" : rest)
              + "\": use {{name}} with letters, digits, _ . -");
    }
  }

  /** The placeholder names, in order of first use. */
  public Set<String> variables() {
    return variables;
  }

  /** The names this template uses that {@code values} lacks (or holds blank), in order. */
  public List<String> missing(Map<String, String> values) {
    List<String> out = new ArrayList<>();
    for (String name : variables) {
      String v = values.get(name);
      if (v == null || v.isBlank()) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * The text with every placeholder replaced.
   *
   * @throws IllegalArgumentException naming the first variable {@code values} lacks
   */
  public String render(Map<String, String> values) {
    List<String> missing = missing(values);
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("unknown template variable " + missing.get(0));
    }
    return PLACEHOLDER
        .matcher(text)
        .replaceAll(m -> Matcher.quoteReplacement(values.get(m.group(1))));
  }

  public String text() {
    return text;
  }
}
