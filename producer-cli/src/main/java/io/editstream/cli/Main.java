package io.editstream.cli;

/** Entry point of {@code editstream-cli.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Avro 1.12 loads generated classes only from trusted packages; the serde also trusts ours,
    // this covers any Avro use before it.
    if (System.getProperty("org.apache.avro.SERIALIZABLE_PACKAGES") == null) {
      System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.editstream");
    }
    System.exit(EditstreamCli.commandLine(CliContext.system()).execute(args));
  }
}
