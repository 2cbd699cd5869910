package io.editstream.demo;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * Sends what is written to it to a logger, one line per log event. The demo points {@code
 * System.out} here, because the in-JVM broker prints its storage formatting to standard output; the
 * demo writes its own console output to the original stream.
 */
final class LoggingOutputStream extends OutputStream {
  private final Logger log;
  private final OutputStream fallback;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private final ThreadLocal<Boolean> logging = ThreadLocal.withInitial(() -> false);

  /**
   * @param fallback where bytes go that the logging itself writes to {@code System.out} (a console
   *     appender in a user's own Logback configuration), so that cannot loop
   */
  LoggingOutputStream(Logger log, OutputStream fallback) {
    this.log = log;
    this.fallback = fallback;
  }

  @Override
  public synchronized void write(int b) throws java.io.IOException {
    if (logging.get()) {
      fallback.write(b);
    } else if (b == '\n') {
      flushLine();
    } else if (b != '\r') {
      line.write(b);
    }
  }

  /** PrintStream flushes after every piece of a printf; only whole lines become log events. */
  @Override
  public void flush() {}

  @Override
  public synchronized void close() {
    flushLine();
  }

  private void flushLine() {
    if (line.size() > 0) {
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      logging.set(true);
      try {
        log.info(text);
      } finally {
        logging.set(false);
      }
    }
  }
}
