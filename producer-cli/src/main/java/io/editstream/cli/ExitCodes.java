package io.editstream.cli;

/** Exit codes scripts may rely on; the same for every command. */
public final class ExitCodes {
  /** Everything went as asked. */
  public static final int OK = 0;

  /** The command ran, but some jobs failed, a wait timed out, or nothing matched. */
  public static final int FAILED = 1;

  /** Bad usage or invalid input (options, manifest, images): nothing was done. */
  public static final int USAGE = 2;

  /** Kafka, the schema registry or the processor could not be reached, or another I/O failure. */
  public static final int INFRA = 3;

  private ExitCodes() {}
}
