package io.editstream.processor.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code GET /health} (200 while Kafka Streams is running or rebalancing, 503 otherwise, body says
 * the state), {@code GET /metrics} (Prometheus text format) and, once {@link #serveJobs} is called,
 * {@code GET /jobs/{jobId}} and {@code GET /jobs?sku=…[&tenant=…]} ({@link JobLookup}).
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
        // Four: a /jobs question may wait on another instance's answer to a local one.
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "editstream-ops-http");
              t.setDaemon(true);
              return t;
            }));
    server.start();
  }

  /** Starts answering {@code /jobs} (after Kafka Streams knows this server's address). */
  public void serveJobs(JobLookup lookup) {
    server.createContext(
        "/jobs",
        exchange -> {
          if (!"GET".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, "application/json", "{\"message\":\"only GET\"}");
            return;
          }
          Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
          boolean local = "true".equals(query.get("local"));
          String path = exchange.getRequestURI().getRawPath();
          JobLookup.Answer answer;
          if (path.startsWith("/jobs/") && path.length() > "/jobs/".length()) {
            String jobId =
                URLDecoder.decode(path.substring("/jobs/".length()), StandardCharsets.UTF_8);
            answer = lookup.job(jobId, local);
          } else if (query.get("sku") != null && !query.get("sku").isBlank()) {
            answer = lookup.bySku(query.get("sku"), query.get("tenant"), local);
          } else {
            answer =
                new JobLookup.Answer(
                    400,
                    "{\"message\":\"ask GET /jobs/{jobId}, or GET /jobs?sku=SKU[&tenant=TENANT]"
                        + " for a SKU's jobs in progress\"}");
          }
          if (answer.status() == 503) {
            exchange.getResponseHeaders().set("Retry-After", "1");
          }
          respond(exchange, answer.status(), "application/json", answer.json());
        });
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
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
