package io.editstream.processor.chaos;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.editstream.processor.EditstreamProcessor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Counts stream threads that died in this JVM's processors (the uncaught-exception handler logs
 * each one before replacing the thread). A replaced thread is a crash even when the instance is
 * back to RUNNING afterwards.
 */
final class ThreadDeaths extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final AtomicInteger deaths = new AtomicInteger();
  private final Logger logger;

  private ThreadDeaths(Logger logger) {
    this.logger = logger;
  }

  static ThreadDeaths watch() {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    ThreadDeaths appender = new ThreadDeaths(logging.getLogger(EditstreamProcessor.class));
    appender.setContext(logging);
    appender.start();
    appender.logger.addAppender(appender);
    return appender;
  }

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getFormattedMessage().startsWith("Stream thread died")) {
      deaths.incrementAndGet();
    }
  }

  int count() {
    return deaths.get();
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    stop();
  }
}
