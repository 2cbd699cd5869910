package io.editstream.processor.config;

/** A bad setting. The message names the setting, the value (unless secret) and what is accepted. */
public final class ConfigException extends RuntimeException {
  private final String setting;

  public ConfigException(String setting, String message) {
    super(setting + ": " + message);
    this.setting = setting;
  }

  public String setting() {
    return setting;
  }
}
