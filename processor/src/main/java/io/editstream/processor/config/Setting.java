package io.editstream.processor.config;

/**
 * One documented setting: its name in a config file, the environment variable that overrides it,
 * its default (null = none) and what it means. {@link Settings#ALL} lists them for the README.
 */
public record Setting(String name, String env, String defaultValue, boolean secret, String doc) {

  /** The environment variable of a setting: EDITSTREAM_ + name, upper case, dots to underscores. */
  public static String envOf(String name) {
    return "EDITSTREAM_"
        + name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }
}
