package io.editstream.processor;

/**
 * Entry point of the runnable jar: installs the default logging configuration (INFO, Kafka at WARN)
 * unless {@code -Dlogback.configurationFile} names another, before any logger exists.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty(
          "logback.configurationFile", "io/editstream/processor/logback-default.xml");
    }
    EditstreamProcessor.main(args);
  }
}
