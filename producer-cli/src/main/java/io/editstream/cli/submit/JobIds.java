package io.editstream.cli.submit;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stable job ids: the same row of the same manifest gives the same id on every run, so running a
 * manifest twice does not submit twice (the processor drops a jobId it has seen).
 *
 * <p>The id is the first 32 hex digits (128 bits) of a SHA-256 over a length-prefixed encoding of
 * what decides the finished image: tenant, SKU, the input images (bytes' SHA-256 for files, the URL
 * for URLs), instruction and steps (as rendered, Unicode NFC), format, aspect ratio, size, model,
 * the fan-out values, and an optional salt ({@code --id-salt}) to submit the same work again on
 * purpose. Priority, cache bypass, attributes and the batch id do not count: changing them does not
 * make a new job.
 */
public final class JobIds {
  static final String VERSION = "editstream-jobid-v1";

  private JobIds() {}

  public static String derive(
      String tenant,
      String sku,
      List<PlannedImage> images,
      String instruction,
      List<String> steps,
      ImageFormat format,
      String aspectRatio,
      ImageSize size,
      String model,
      Map<String, String> fanOut,
      String salt) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    put(sha, VERSION);
    put(sha, tenant);
    put(sha, sku);
    putCount(sha, images.size());
    images.forEach(i -> put(sha, i.identity()));
    put(sha, nfc(instruction));
    putCount(sha, steps.size());
    steps.forEach(s -> put(sha, nfc(s)));
    put(sha, format.name());
    put(sha, aspectRatio);
    put(sha, size.name());
    put(sha, model);
    TreeMap<String, String> sorted = new TreeMap<>(fanOut);
    putCount(sha, sorted.size());
    sorted.forEach(
        (k, v) -> {
          put(sha, k);
          put(sha, v);
        });
    put(sha, salt);
    return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
  }

  private static String nfc(String s) {
    return Normalizer.normalize(s.strip(), Normalizer.Form.NFC);
  }

  /** null and "" differ: a length of -1 marks null. */
  private static void put(MessageDigest sha, String s) {
    if (s == null) {
      putCount(sha, -1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    putCount(sha, bytes.length);
    sha.update(bytes);
  }

  private static void putCount(MessageDigest sha, int n) {
    sha.update(ByteBuffer.allocate(4).putInt(n).array());
  }
}
