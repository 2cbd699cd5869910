package io.editstream.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * What a command needs from its surroundings, injected so tests can run commands in-process: the
 * environment, a clock, a random source, the output streams and whether stderr is a terminal (for
 * the progress line).
 */
public record CliContext(
    Map<String, String> env,
    Clock clock,
    RandomGenerator random,
    PrintStream out,
    PrintStream err,
    boolean interactive) {

  /** The real process: its environment, UTC clock, stdout/stderr, a console if there is one. */
  public static CliContext system() {
    return new CliContext(
        System.getenv(),
        Clock.systemUTC(),
        new Random(),
        System.out,
        System.err,
        System.console() != null);
  }

  public String env(String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value;
  }
}
