package io.editstream.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model call between arrival and answer. It answers exactly once (or drops the connection) and
 * leaves the concurrency count before the last byte goes out. Waiting out the latency holds no
 * thread: a timer hands the answer to the worker pool when it is due.
 */
final class PendingCall {
  /** One model call: answers exactly once, then leaves the concurrency count. */
  private static final Logger log = LoggerFactory.getLogger(PendingCall.class);

  private final HttpExchange exchange;
  private final long arrivedNanos;
  private final ObjectMapper json;
  private final ResponseFactory responses;
  private final StatsRecorder stats;
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private boolean done;

  PendingCall(
      HttpExchange exchange,
      long arrivedNanos,
      ObjectMapper json,
      ResponseFactory responses,
      StatsRecorder stats,
      ExecutorService workers,
      ScheduledExecutorService timer) {
    this.exchange = exchange;
    this.arrivedNanos = arrivedNanos;
    this.json = json;
    this.responses = responses;
    this.stats = stats;
    this.workers = workers;
    this.timer = timer;
  }

  /** Runs {@code action} once {@code latencyMs} have passed since the request arrived. */
  void at(long latencyMs, Runnable action) {
    later(remaining(latencyMs), action);
  }

  private long remaining(long latencyMs) {
    long spent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrivedNanos);
    return Math.max(0, latencyMs - spent);
  }

  /** Runs {@code action} on the worker pool after {@code delayMs}, holding no thread meanwhile. */
  private void later(long delayMs, Runnable action) {
    Runnable guarded =
        () -> {
          try {
            action.run();
          } catch (RuntimeException e) {
            log.warn("Answer failed: {}", e.toString());
            finish(0);
          }
        };
    try {
      if (delayMs <= 0) {
        guarded.run();
      } else {
        timer.schedule(() -> dispatch(guarded), delayMs, TimeUnit.MILLISECONDS);
      }
    } catch (RejectedExecutionException e) {
      // Shutting down.
      finish(0);
    }
  }

  private void dispatch(Runnable action) {
    try {
      workers.execute(action);
    } catch (RejectedExecutionException e) {
      finish(0);
    }
  }

  void error(ApiError error) {
    json(error.code(), error.toJson(), false);
  }

  void json(int status, JsonNode body, boolean withImage) {
    // Count before the last byte goes out, so a client that has its answer sees it in /stats.
    if (!settle(status, withImage)) {
      return;
    }
    try {
      writeJson(exchange, json, status, body);
    } catch (IOException e) {
      log.debug("Client went away before the answer: {}", e.toString());
    } finally {
      exchange.close();
    }
  }

  void drop() {
    if (settle(-1, false)) {
      // Closing before sending headers makes the server close the socket without an answer.
      exchange.close();
    }
  }

  void stream(ResponseFactory.Answer answer, boolean sse, long latency) {
    if (answer.png() == null) {
      // Blocked, safety-filtered or text-only answers come as one chunk.
      at(latency, () -> chunk(sse, true, true, false, responses.full(answer)));
      return;
    }
    // The text arrives early, the image when the latency is over, as Gemini streams it.
    at(
        latency * 3 / 10,
        () -> {
          if (chunk(sse, true, false, false, responses.textChunk(answer))) {
            at(latency, () -> chunk(sse, false, true, true, responses.imageChunk(answer)));
          }
        });
  }

  /** Writes one chunk; returns false if the client went away. */
  private boolean chunk(
      boolean sse, boolean first, boolean last, boolean withImage, JsonNode chunk) {
    try {
      if (first) {
        exchange
            .getResponseHeaders()
            .set("Content-Type", sse ? "text/event-stream" : "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(200, 0);
      }
      String text = json.writeValueAsString(chunk);
      String framed =
          sse ? "data: " + text + "\r\n\r\n" : (first ? "[" : ",\r\n") + text + (last ? "]" : "");
      if (last && !settle(200, withImage)) {
        return false;
      }
      OutputStream out = exchange.getResponseBody();
      out.write(framed.getBytes(StandardCharsets.UTF_8));
      out.flush();
      if (last) {
        out.close();
        exchange.close();
      }
      return true;
    } catch (IOException e) {
      log.debug("Client went away during a stream: {}", e.toString());
      finish(0);
      return false;
    }
  }

  /** Fails the call without an answer (shutdown, broken connection). */
  private void finish(int status) {
    settle(status, false);
    exchange.close();
  }

  /**
   * Records the call's end exactly once. status > 0: answered; 0: could not answer; -1: dropped on
   * purpose. Returns false if the call had already ended.
   */
  private synchronized boolean settle(int status, boolean withImage) {
    if (done) {
      return false;
    }
    done = true;
    if (status > 0) {
      stats.answered(status);
    } else if (status < 0) {
      stats.dropped();
    }
    if (withImage) {
      stats.imageGenerated();
    }
    stats.finished();
    return true;
  }

  static void writeJson(HttpExchange exchange, ObjectMapper json, int status, JsonNode body)
      throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
