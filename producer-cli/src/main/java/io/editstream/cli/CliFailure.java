package io.editstream.cli;

/**
 * Stops a command with a message for the user and an {@link ExitCodes exit code}. The message is
 * printed without a stack trace, so it must say what to do; it never holds a secret.
 */
public final class CliFailure extends RuntimeException {
  private final int exitCode;

  public CliFailure(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public static CliFailure usage(String message) {
    return new CliFailure(ExitCodes.USAGE, message, null);
  }

  public static CliFailure infra(String message, Throwable cause) {
    return new CliFailure(ExitCodes.INFRA, message, cause);
  }

  public int exitCode() {
    return exitCode;
  }
}
