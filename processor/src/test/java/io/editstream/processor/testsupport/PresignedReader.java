package io.editstream.processor.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A downstream reader on another host: in a JVM of its own, with no credentials and no AWS SDK, it
 * fetches every finished image by its presigned URL over plain HTTP and checks its SHA-256.
 *
 * <p>Input: one line per image, {@code id<TAB>presignedUrl<TAB>sha256}. Output: one line per image,
 * {@code id<TAB>READABLE|UNREADABLE|SHA_MISMATCH<TAB>detail}.
 */
public final class PresignedReader {

  /** How one image read. */
  public enum Status {
    READABLE,
    UNREADABLE,
    SHA_MISMATCH
  }

  /** The reader's verdicts by id, in input order. */
  public record Summary(Map<String, Status> byId, Map<String, String> details) {
    public long count(Status status) {
      return byId.values().stream().filter(status::equals).count();
    }
  }

  /** One image to read. */
  public record Entry(String id, String presignedUrl, String sha256) {}

  private PresignedReader() {}

  /**
   * Runs the reader in a JVM of its own (this test's classpath) over {@code entries} and returns
   * its verdicts.
   */
  public static Summary runInOwnJvm(List<Entry> entries, Path dir, Duration timeout)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path in = dir.resolve("presigned-urls.tsv");
    Path out = dir.resolve("presigned-reads.tsv");
    Path log = dir.resolve("presigned-reader.log");
    List<String> lines = new ArrayList<>();
    for (Entry e : entries) {
      lines.add(e.id() + "\t" + e.presignedUrl() + "\t" + e.sha256());
    }
    Files.write(in, lines, StandardCharsets.UTF_8);
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            PresignedReader.class.getName(),
            in.toString(),
            out.toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // A reader elsewhere has no S3 credentials: none may leak in from this environment.
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("EDITSTREAM_"));
    Process process = pb.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("presigned reader did not finish in " + timeout);
      }
    } finally {
      process.destroyForcibly();
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "presigned reader exited with "
              + process.exitValue()
              + ":\n"
              + Files.readString(log, StandardCharsets.UTF_8));
    }
    Map<String, Status> byId = new LinkedHashMap<>();
    Map<String, String> details = new LinkedHashMap<>();
    for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
      String[] f = line.split("\t", 3);
      byId.put(f[0], Status.valueOf(f[1]));
      details.put(f[0], f.length > 2 ? f[2] : "");
    }
    return new Summary(byId, details);
  }

  public static void main(String[] args) throws Exception {
    List<String> out = new ArrayList<>();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      out.add(f[0] + "\t" + read(http, f[1], f[2]));
    }
    Files.write(Path.of(args[1]), out, StandardCharsets.UTF_8);
  }

  private static String read(HttpClient http, String url, String expectedSha256)
      throws InterruptedException, NoSuchAlgorithmException {
    HttpResponse<byte[]> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException | IllegalArgumentException e) {
      return Status.UNREADABLE + "\t" + e;
    }
    if (response.statusCode() != 200) {
      return Status.UNREADABLE + "\tHTTP " + response.statusCode();
    }
    String sha =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(response.body()));
    return sha.equals(expectedSha256)
        ? Status.READABLE + "\t" + response.body().length + " bytes"
        : Status.SHA_MISMATCH + "\tgot " + sha;
  }
}
