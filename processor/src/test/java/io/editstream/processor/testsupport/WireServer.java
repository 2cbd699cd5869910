package io.editstream.processor.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on a real socket for a model door's wire behaviour. Every request is read in
 * full (headers and body) and counted, then answered as told — on a kept-alive connection, as a
 * real server does — or the connection is closed without a byte of answer, as a model server that
 * dies mid-call does.
 */
public final class WireServer implements AutoCloseable {

  /** What the server sends for a request it has read. */
  @FunctionalInterface
  public interface Answer {
    /** Writes the answer; false to close the connection after it (without one: a hang-up). */
    boolean send(OutputStream out) throws IOException;
  }

  private final ServerSocket socket;
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "wire-server");
            t.setDaemon(true);
            return t;
          });
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> headerLines = new CopyOnWriteArrayList<>();
  private volatile Answer answer;

  private WireServer(Answer answer) throws IOException {
    this.answer = answer;
    this.socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    connections.execute(this::accept);
  }

  public static WireServer start(Answer answer) throws IOException {
    return new WireServer(answer);
  }

  /** Closes the connection once the request is read, without an answer. */
  public static Answer hangUp() {
    return out -> false;
  }

  /** {@code first} for the first request the server reads, {@code rest} for all later ones. */
  public static Answer firstThen(Answer first, Answer rest) {
    AtomicInteger seen = new AtomicInteger();
    return out -> (seen.getAndIncrement() == 0 ? first : rest).send(out);
  }

  /** A complete HTTP answer: status, the extra header lines given, and the body in parts. */
  public static Answer http(int status, String[] headers, byte[]... body) {
    return out -> {
      long length = 0;
      for (byte[] part : body) {
        length += part.length;
      }
      StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
      head.append("Content-Type: application/json; charset=UTF-8\r\n");
      head.append("Content-Length: ").append(length).append("\r\n");
      for (String h : headers) {
        head.append(h).append("\r\n");
      }
      out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      for (byte[] part : body) {
        out.write(part);
      }
      out.flush();
      return true;
    };
  }

  /** 200 with the given body. */
  public static Answer ok(byte[]... body) {
    return http(200, new String[0], body);
  }

  public String baseUrl() {
    return "http://"
        + InetAddress.getLoopbackAddress().getHostAddress()
        + ":"
        + socket.getLocalPort();
  }

  /** Requests read in full so far. */
  public int requests() {
    return requests.get();
  }

  /** Every header line of every request read so far. */
  public List<String> headerLines() {
    return List.copyOf(headerLines);
  }

  public void answer(Answer next) {
    this.answer = next;
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        connections.execute(() -> serve(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      boolean open = true;
      while (open) {
        String requestLine = line(in);
        if (requestLine == null || requestLine.isEmpty()) {
          return; // the client closed its kept-alive connection
        }
        long length = 0;
        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
          headerLines.add(line);
          String lower = line.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) {
            length = Long.parseLong(lower.substring("content-length:".length()).trim());
          }
        }
        in.skipNBytes(length);
        requests.incrementAndGet();
        open = answer.send(out);
      }
    } catch (IOException | RuntimeException e) {
      // the client went away: nothing to answer
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        bytes.write(b);
      }
    }
    return b == -1 && bytes.size() == 0 ? null : bytes.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
    connections.shutdownNow();
  }
}
