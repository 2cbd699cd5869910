package io.editstream.processor.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code GET /health} (200 while Kafka Streams is running or rebalancing, 503 otherwise, body says
 * the state) and {@code GET /metrics} (Prometheus text format).
 */
public final class OpsServer implements AutoCloseable {
  private final HttpServer server;

  public OpsServer(
      String host, int port, Supplier<KafkaStreams.State> state, PrometheusMeterRegistry metrics)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.createContext(
        "/health",
        exchange -> {
          KafkaStreams.State s = state.get();
          boolean up = s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING;
          respond(exchange, up ? 200 : 503, "application/json", "{\"state\":\"" + s + "\"}");
        });
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "editstream-ops-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
