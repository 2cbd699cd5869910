package io.editstream.cli.listen;

import io.editstream.schema.EditFailure;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a person does about a failure: one sentence per {@link FailureCode}, naming the setting,
 * option or command to use. The one place the CLI's report and the demo's report take it from, so
 * every code has exactly one answer (the switch is exhaustive: a new code does not compile without
 * one).
 */
public final class NextStep {
  private NextStep() {}

  /** The next step for {@code failure}, with its batch's replay command when it has a batch. */
  public static String of(EditFailure failure) {
    List<String> uris =
        failure.getJob() == null
            ? List.of()
            : failure.getJob().getImages().stream()
                .map(InputImage::getUri)
                .filter(Objects::nonNull)
                .toList();
    String batch =
        failure.getAttributes() == null ? null : failure.getAttributes().get(BatchTracker.BATCH);
    return of(failure.getCode(), uris, batch);
  }

  /**
   * The next step for a failure with {@code code}.
   *
   * @param inputUris the job's image URIs (inline images have none); the scheme picks the setting
   *     for {@code URI_NOT_ALLOWED} and {@code IMAGE_FETCH_FAILED}
   * @param batchId the job's batch, or null: narrows the suggested replay command
   */
  public static String of(FailureCode code, List<String> inputUris, String batchId) {
    String replay =
        "editstream replay --code "
            + code
            + (batchId == null || batchId.isBlank() ? "" : " --batch-id " + batchId);
    return switch (code) {
      case URI_NOT_ALLOWED -> uriNotAllowed(inputUris);
      case IMAGE_FETCH_FAILED ->
          "Check that the image's URL or file still exists and that the processor can reach it"
              + " (input.http.timeout.ms for slow hosts), then: "
              + replay;
      case INVALID_JOB ->
          "Fix the field the message names in the manifest and submit the row again.";
      case NO_IMAGES -> "Give the row 1 to 16 images (manifest column images) and submit it again.";
      case TOO_MANY_IMAGES -> "At most 16 images per job: split the row and submit it again.";
      case INSTRUCTION_MISSING -> "Fill in the row's instruction and submit it again.";
      case INSTRUCTION_TOO_LONG ->
          "Shorten the instruction (default limit 10,000 characters) and submit it again.";
      case UNSUPPORTED_IMAGE_TYPE ->
          "Convert the image to PNG, JPEG, WebP or HEIC and submit the row again.";
      case IMAGE_TOO_LARGE, IMAGE_DIMENSIONS_TOO_LARGE ->
          "Downscale the image (at most 20 MB) and submit the row again.";
      case IMAGE_DIGEST_MISMATCH ->
          "The image changed after it was submitted: submit the row again so its SHA-256 is taken"
              + " anew.";
      case MODEL_INVALID_ARGUMENT ->
          "The model refused the request as given (message says which part): change the"
              + " instruction, aspect ratio or size and submit again.";
      case MODEL_AUTH ->
          "Fix the processor's credentials (gemini.api.key or gemini.api.key.file,"
              + " vertex.credentials.file), restart it, then: "
              + replay
              + " --include-permanent";
      case MODEL_NOT_FOUND ->
          "Use a model id the provider serves (manifest column model or submit --model; the"
              + " processor's model.default) and submit again.";
      case MODEL_UNAVAILABLE, MODEL_TIMEOUT ->
          "Retryable. If every call fails this way, check that the processor reaches the model"
              + " API (gemini.base.url, vertex.base.url or wavespeed.base.url; a proxy or"
              + " firewall), then: "
              + replay;
      case QUOTA_EXHAUSTED, MODEL_ERROR, MODEL_BAD_RESPONSE -> "Retryable: " + replay;
      case STORE_UNAVAILABLE ->
          "Check the blob store (blob.store, blob.dir or blob.s3.*) is reachable, then: " + replay;
      case PROMPT_BLOCKED, IMAGE_SAFETY ->
          "Blocked by the model's safety filter: reword the instruction or use another photo;"
              + " replaying the same job gives the same answer.";
      case NO_IMAGE ->
          "The model answered without an image: make the instruction ask for an edited image,"
              + " then submit again (or "
              + replay
              + " --include-permanent).";
      case EXPIRED ->
          "The job's deadline passed before a model call started: submit it again with a later"
              + " deadline (or none), or raise the quota so the queue drains sooner.";
      case CANCELLED ->
          "Cancelled on request (editstream cancel): nothing to do, or submit it again if that"
              + " was a mistake.";
      case BUDGET_EXCEEDED ->
          "The tenant is over its daily budget or request cap (processor settings"
              + " tenant.budget.usd.per.day, tenant.requests.per.day): replay after midnight"
              + " Pacific, or raise the cap.";
      case TENANT_SUSPENDED ->
          "The tenant was held after repeated safety blocks (safety.strikes.*): tell it which"
              + " instructions or images were blocked. When an operator has released the tenant"
              + " (editstream tenant release <tenant>), replay: "
              + replay
              + " --include-permanent";
      case INTERNAL, UNKNOWN ->
          "Look up the job in the processor's log (editstream job <jobId>), then: " + replay;
    };
  }

  private static String uriNotAllowed(List<String> uris) {
    String scheme =
        uris.isEmpty()
            ? ""
            : uris.get(0)
                .substring(0, Math.max(0, uris.get(0).indexOf(':')))
                .toLowerCase(Locale.ROOT);
    return switch (scheme) {
      case "file" ->
          "Put the image below the processor's input.file.root (or set input.file.root to its"
              + " folder), or submit it inline.";
      case "http", "https" ->
          "Add the image's host to the processor's input.http.allow.hosts (private addresses"
              + " also need input.http.allow.private=true), or submit the image inline.";
      case "s3" ->
          "Add the image's bucket to the processor's input.s3.allowed.buckets, or submit the"
              + " image inline.";
      default ->
          "Use a file: URI below input.file.root, an http(s) URL on input.http.allow.hosts or an"
              + " s3:// URI in input.s3.allowed.buckets, or submit the image inline.";
    };
  }
}
