package io.editstream.cli.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Predicate;

/**
 * Samples of the Prometheus text exposition format (version 0.0.4): {@code name{labels} value}
 * lines; comments, timestamps and malformed lines are skipped.
 */
public final class PrometheusText {
  /** One sample. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  public static PrometheusText parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        out.add(parseLine(line));
      } catch (RuntimeException malformed) {
        // Skipped: one odd line must not hide the rest.
      }
    }
    return new PrometheusText(out);
  }

  private static Sample parseLine(String line) {
    Map<String, String> labels = new LinkedHashMap<>();
    String name;
    String rest;
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.substring(0, brace);
      int i = brace + 1;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        String key = line.substring(i, eq).strip();
        int q = line.indexOf('"', eq);
        StringBuilder value = new StringBuilder();
        int j = q + 1;
        while (line.charAt(j) != '"') {
          char c = line.charAt(j);
          if (c == '\\') {
            char n = line.charAt(++j);
            value.append(n == 'n' ? '\n' : n);
          } else {
            value.append(c);
          }
          j++;
        }
        labels.put(key, value.toString());
        i = j + 1;
        while (line.charAt(i) == ',' || line.charAt(i) == ' ') {
          i++;
        }
      }
      rest = line.substring(i + 1).strip();
    } else {
      name = line.substring(0, space);
      rest = line.substring(space + 1).strip();
    }
    String value = rest.split("\\s+")[0];
    return new Sample(name, labels, parseValue(value));
  }

  private static double parseValue(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }

  public List<Sample> samples() {
    return samples;
  }

  /** Samples of the metric {@code name}. */
  public List<Sample> named(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** Sum of the samples of {@code name} matching {@code filter}; empty when there are none. */
  public OptionalDouble sum(String name, Predicate<Map<String, String>> filter) {
    List<Sample> matching = named(name).stream().filter(s -> filter.test(s.labels())).toList();
    if (matching.isEmpty()) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(matching.stream().mapToDouble(Sample::value).sum());
  }

  public OptionalDouble sum(String name) {
    return sum(name, l -> true);
  }
}
