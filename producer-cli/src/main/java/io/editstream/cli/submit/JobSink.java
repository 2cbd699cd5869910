package io.editstream.cli.submit;

import io.editstream.schema.EditJob;
import java.util.function.Consumer;

/** Where submitted jobs go: the jobs topic, keyed by jobId. */
public interface JobSink extends AutoCloseable {

  /**
   * Sends {@code job} asynchronously; {@code done} is called once with null on success or the
   * error. May block while the client's buffer is full.
   */
  void send(EditJob job, Consumer<Exception> done);

  /** Waits until every job sent so far is acknowledged (or failed). */
  void flush();

  @Override
  void close();
}
