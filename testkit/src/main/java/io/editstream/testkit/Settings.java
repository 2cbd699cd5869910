package io.editstream.testkit;

/** Reads a setting from a system property of the same name, else from the environment. */
final class Settings {
  private Settings() {}

  /** Returns the non-blank value of {@code name}, or {@code null}. */
  static String get(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      value = System.getenv(name);
    }
    return value == null || value.isBlank() ? null : value.trim();
  }
}
