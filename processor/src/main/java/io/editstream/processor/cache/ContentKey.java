package io.editstream.processor.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The dedup key of an edit: lowercase hex SHA-256 of a canonical encoding of a {@link
 * ContentKeyInput}. Equal keys mean the same edit of the same image bytes; callers may rely on a
 * key staying the same across processes and releases for as long as the encoding version ({@value
 * #ENCODING_VERSION}) is unchanged.
 *
 * @param hex 64 lowercase hex digits
 */
public record ContentKey(String hex) {

  /**
   * Version tag hashed first. Bump it whenever the encoding changes, so old and new keys never
   * collide by accident (old cache entries then simply stop matching).
   */
  public static final String ENCODING_VERSION = "editstream-ck-v1";

  private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String AUTO_ASPECT_RATIO = "auto";

  public ContentKey {
    if (hex == null || !HEX_SHA256.matcher(hex).matches()) {
      throw new IllegalArgumentException("contentKey: not 64 lowercase hex digits: " + hex);
    }
  }

  /** Parses a key as it appears in {@link #hex()} (e.g. a topic key). */
  public static ContentKey parse(String hex) {
    return new ContentKey(hex);
  }

  /**
   * The key of an input. Canonicalization: instruction and steps are Unicode NFC and trimmed; the
   * model and aspect ratio are trimmed; a null or blank aspect ratio is "auto"; digests are
   * lowercased and must be 64 hex digits; enums are encoded by name. Every field is length-prefixed
   * and lists are count-prefixed, so no two different inputs share an encoding.
   *
   * @throws IllegalArgumentException naming the field when a digest is malformed
   */
  public static ContentKey of(ContentKeyInput input) {
    Encoder e = new Encoder();
    e.string(ENCODING_VERSION);
    e.string(input.model().strip());
    e.string(text(input.instruction()));
    List<String> steps = input.steps();
    e.count(steps.size());
    for (String step : steps) {
      e.string(text(step));
    }
    List<String> digests = input.imageDigests();
    e.count(digests.size());
    for (int i = 0; i < digests.size(); i++) {
      e.string(digest(digests.get(i), "imageDigests[" + i + "]"));
    }
    e.string(input.format().name());
    String ratio = input.aspectRatio();
    e.string(ratio == null || ratio.isBlank() ? AUTO_ASPECT_RATIO : ratio.strip());
    e.string(input.size().name());
    // Presence flag first: "no tenant" must differ from every tenant name, including "".
    if (input.tenant() == null) {
      e.count(0);
    } else {
      e.count(1);
      e.string(input.tenant());
    }
    return new ContentKey(HexFormat.of().formatHex(e.sha256.digest()));
  }

  private static String text(String s) {
    return Normalizer.normalize(s, Normalizer.Form.NFC).strip();
  }

  private static String digest(String d, String field) {
    String lower = d.strip().toLowerCase(Locale.ROOT);
    if (!HEX_SHA256.matcher(lower).matches()) {
      throw new IllegalArgumentException(field + ": not a hex SHA-256 digest: " + d);
    }
    return lower;
  }

  @Override
  public String toString() {
    return hex;
  }

  /** Length-prefixed (4-byte big-endian) UTF-8 strings and counts, fed straight into SHA-256. */
  private static final class Encoder {
    final MessageDigest sha256;
    private final ByteBuffer intBuf = ByteBuffer.allocate(Integer.BYTES);

    Encoder() {
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-256", e);
      }
    }

    void count(int n) {
      intBuf.clear();
      sha256.update(intBuf.putInt(n).array());
    }

    void string(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      count(bytes.length);
      sha256.update(bytes);
    }
  }
}
