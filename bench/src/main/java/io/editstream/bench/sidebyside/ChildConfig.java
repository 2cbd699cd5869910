package io.editstream.bench.sidebyside;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The settings file a child JVM reads (a properties file): {@code kafka.*} keys are client
 * settings, {@code registry.*} keys schema registry client settings, the rest the child's own.
 */
final class ChildConfig {
  private final Properties p;

  private ChildConfig(Properties p) {
    this.p = p;
  }

  static ChildConfig load(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return new ChildConfig(p);
  }

  static void write(Map<String, String> settings, Path file) throws IOException {
    Properties p = new Properties();
    p.putAll(settings);
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "side-by-side child");
    }
  }

  String get(String key) {
    String v = p.getProperty(key);
    if (v == null) {
      throw new IllegalArgumentException("missing setting '" + key + "'");
    }
    return v;
  }

  int integer(String key) {
    return Integer.parseInt(get(key));
  }

  /** The settings under {@code prefix}, with the prefix removed. */
  Map<String, Object> under(String prefix) {
    Map<String, Object> out = new HashMap<>();
    p.stringPropertyNames().stream()
        .filter(k -> k.startsWith(prefix))
        .forEach(k -> out.put(k.substring(prefix.length()), p.getProperty(k)));
    return out;
  }
}
