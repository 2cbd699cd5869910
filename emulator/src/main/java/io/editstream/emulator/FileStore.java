package io.editstream.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Files API's storage: uploaded files (resumable upload: start, upload chunks, finalize) and
 * the responses files that batches write. In memory; files never expire while the emulator runs,
 * but report Google's 48 h {@code expirationTime}.
 */
final class FileStore {

  /** Uploads larger than this are refused; the real API allows 2 GB, a test never needs it. */
  static final long MAX_FILE_BYTES = 256L * 1024 * 1024;

  static final Duration RETENTION = Duration.ofHours(48);

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** One stored file; {@code source} is UPLOADED or GENERATED, as Google reports it. */
  record StoredFile(
      String name,
      String displayName,
      String mimeType,
      byte[] bytes,
      Instant created,
      String source) {

    String id() {
      return name.substring("files/".length());
    }

    /** The File resource in its REST shape; {@code baseUrl} makes {@code uri}. */
    ObjectNode toJson(String baseUrl) {
      ObjectNode file = JSON.objectNode();
      file.put("name", name);
      if (displayName != null) {
        file.put("displayName", displayName);
      }
      file.put("mimeType", mimeType);
      file.put("sizeBytes", Long.toString(bytes.length));
      file.put("createTime", created.toString());
      file.put("updateTime", created.toString());
      file.put("expirationTime", created.plus(RETENTION).toString());
      file.put("sha256Hash", Base64.getEncoder().encodeToString(EditEngine.sha256().digest(bytes)));
      file.put("uri", baseUrl + "/v1beta/" + name);
      file.put("downloadUri", baseUrl + "/download/v1beta/" + name + ":download?alt=media");
      file.put("state", "ACTIVE");
      file.put("source", source);
      return file;
    }
  }

  /** An upload between start and finalize. */
  static final class Upload {
    final String name;
    final String displayName;
    final String mimeType;
    final long declaredBytes;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    Upload(String name, String displayName, String mimeType, long declaredBytes) {
      this.name = name;
      this.displayName = displayName;
      this.mimeType = mimeType;
      this.declaredBytes = declaredBytes;
    }

    synchronized long received() {
      return received.size();
    }

    /** Appends a chunk at {@code offset}; false if the offset is not where the upload stands. */
    synchronized boolean append(long offset, byte[] chunk) {
      if (offset != received.size()) {
        return false;
      }
      received.writeBytes(chunk);
      return true;
    }

    synchronized byte[] bytes() {
      return received.toByteArray();
    }
  }

  private final Clock clock;
  private final ResourceIds fileIds;
  private final ResourceIds uploadIds;
  private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
  private final Map<String, Upload> uploads = new ConcurrentHashMap<>();

  FileStore(Clock clock, long seed) {
    this.clock = clock;
    this.fileIds = new ResourceIds(seed, "file");
    this.uploadIds = new ResourceIds(seed, "upload");
  }

  /**
   * Starts a resumable upload and returns its upload id. {@code requestedName} ({@code files/ID} or
   * {@code ID}) is used when given, else an id is drawn.
   *
   * @return the upload id, or null when a file of that name exists already
   */
  String start(String requestedName, String displayName, String mimeType, long declaredBytes) {
    String name;
    if (requestedName != null && !requestedName.isBlank()) {
      name = requestedName.startsWith("files/") ? requestedName : "files/" + requestedName;
      if (files.containsKey(name)) {
        return null;
      }
    } else {
      name = "files/" + fileIds.next();
    }
    String uploadId = uploadIds.next() + uploadIds.next();
    uploads.put(uploadId, new Upload(name, displayName, mimeType, declaredBytes));
    return uploadId;
  }

  Upload upload(String uploadId) {
    return uploadId == null ? null : uploads.get(uploadId);
  }

  void cancel(String uploadId) {
    uploads.remove(uploadId);
  }

  /** Ends an upload: the file becomes visible under its name. */
  StoredFile finish(String uploadId, Upload upload) {
    uploads.remove(uploadId);
    StoredFile file =
        new StoredFile(
            upload.name,
            upload.displayName,
            upload.mimeType,
            upload.bytes(),
            clock.instant(),
            "UPLOADED");
    files.put(file.name(), file);
    return file;
  }

  /** Stores a file the emulator made (a batch's responses). */
  StoredFile putGenerated(String name, String displayName, String mimeType, byte[] bytes) {
    StoredFile file =
        new StoredFile(name, displayName, mimeType, bytes, clock.instant(), "GENERATED");
    files.put(name, file);
    return file;
  }

  /** The file with this name ({@code files/ID}), or null. */
  StoredFile get(String name) {
    return files.get(name);
  }

  boolean delete(String name) {
    return files.remove(name) != null;
  }
}
