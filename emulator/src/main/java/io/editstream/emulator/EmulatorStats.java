package io.editstream.emulator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of what the emulator has seen since start or the last reset; the same data as {@code
 * GET /stats}. Counts cover model calls only (not /stats or /health). API keys appear only as
 * {@link #keyId(String)} fingerprints, never in clear.
 *
 * @param requests model calls received (generateContent and streamGenerateContent)
 * @param answersByStatus answers sent, by HTTP status
 * @param rateLimited answers with status 429
 * @param dropped connections closed without an answer (drop faults)
 * @param peakConcurrent most model calls in progress at once (latency included)
 * @param currentConcurrent model calls in progress now
 * @param requestsByKey model calls by {@link #keyId(String)} of the API key used
 * @param generateContentByModel model calls by model id in the path
 * @param imagesGenerated images returned by online calls
 * @param batchesCreated batches accepted by {@code batchGenerateContent} (refused ones not counted)
 * @param batchRequests requests in the batches created
 * @param requestsByBatch requests per batch, by batch name ({@code batches/ID})
 * @param batchesCancelled batches cancelled while pending or running
 * @param filesUploaded Files API uploads finalized
 * @param batchesRefused batch creations refused with 429 (concurrent batches or enqueued tokens)
 */
public record EmulatorStats(
    long requests,
    Map<Integer, Long> answersByStatus,
    long rateLimited,
    long dropped,
    long peakConcurrent,
    long currentConcurrent,
    Map<String, Long> requestsByKey,
    Map<String, Long> generateContentByModel,
    long imagesGenerated,
    long batchesCreated,
    long batchRequests,
    Map<String, Long> requestsByBatch,
    long batchesCancelled,
    long filesUploaded,
    long batchesRefused) {

  public EmulatorStats {
    answersByStatus = sorted(answersByStatus);
    requestsByKey = sorted(requestsByKey);
    generateContentByModel = sorted(generateContentByModel);
    requestsByBatch = sorted(requestsByBatch);
  }

  private static <K> Map<K, Long> sorted(Map<K, Long> map) {
    return Collections.unmodifiableMap(new TreeMap<>(map));
  }

  /** Answers sent with this HTTP status. */
  public long answers(int status) {
    return answersByStatus.getOrDefault(status, 0L);
  }

  /** Model calls made with this API key ({@code null} for calls without a key). */
  public long requestsForKey(String apiKey) {
    return requestsByKey.getOrDefault(keyId(apiKey), 0L);
  }

  /** Model calls to this model. */
  public long requestsForModel(String model) {
    return generateContentByModel.getOrDefault(model, 0L);
  }

  /**
   * The fingerprint under which a key is counted: "key-" and the first 12 hex digits of its
   * SHA-256, or "none" for calls without a key.
   */
  public static String keyId(String apiKey) {
    if (apiKey == null || apiKey.isEmpty()) {
      return "none";
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
      return "key-" + HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
