package io.editstream.processor.config;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Whether an endpoint a setting names accepts a TCP connection, with a message that names the
 * setting to change when it does not. A check at start-up, so a wrong address shows at once instead
 * of as a failure code on every job.
 */
public final class Reachability {
  private Reachability() {}

  /**
   * Empty as soon as one of Kafka's {@code bootstrap} addresses ({@code host:port,...}) accepts a
   * TCP connection, trying every second for up to {@code wait} (a broker started alongside may
   * still be coming up); else a message naming the addresses tried and {@code
   * kafka.bootstrap.servers}. Kafka's own clients would retry until their timeout and then report
   * only a TimeoutException.
   */
  public static Optional<String> kafka(String bootstrap, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    java.util.Map<String, String> why = new java.util.LinkedHashMap<>();
    while (true) {
      for (String address : bootstrap.split(",")) {
        String a = address.trim();
        int colon = a.lastIndexOf(':');
        String host = a.substring(0, colon).replaceAll("^.*//", "").replaceAll("^\\[|\\]$", "");
        int port = Integer.parseInt(a.substring(colon + 1));
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress(host, port), 2_000);
          return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
          why.put(
              a,
              e instanceof java.net.UnknownHostException
                  ? "unknown host"
                  : String.valueOf(e.getMessage()));
        }
      }
      if (System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(1_000); // waiting for a broker to come up; nothing to be notified by
    }
    StringBuilder tried = new StringBuilder();
    why.forEach(
        (a, reason) ->
            tried.append(tried.length() == 0 ? "" : "; ").append(a).append(": ").append(reason));
    return Optional.of(
        "cannot connect to Kafka within "
            + wait.toSeconds()
            + " s ("
            + tried
            + "); check kafka.bootstrap.servers / KAFKA_BOOTSTRAP_SERVERS");
  }

  /**
   * Empty when {@code url}'s host and port (80/443 by scheme when absent) accept a connection
   * within {@code timeout}; else why not, naming {@code setting} and its environment variable. The
   * URL in the message has no user info.
   */
  public static Optional<String> problem(String setting, String url, Duration timeout) {
    URI uri = URI.create(url.trim());
    int port =
        uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), port), (int) timeout.toMillis());
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      String env =
          Settings.ALL.stream()
              .filter(s -> s.name().equals(setting))
              .map(s -> " / " + s.env())
              .findFirst()
              .orElse("");
      return Optional.of(
          "cannot connect to "
              + Settings.withoutUserInfo(url)
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "); check "
              + setting
              + env);
    }
  }
}
