package io.editstream.processor.model;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.genai.Client;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Vertex AI: the same model and the same google-genai SDK as AI Studio, in Vertex mode — a Google
 * Cloud project and location, OAuth credentials (a service-account JSON file or the
 * application-default credentials), and Vertex's own quotas. The SDK sends {@code POST
 * {base}/v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}
 * :generateContent} with {@code Authorization: Bearer <access token>}; it refreshes the token
 * itself. Everything else (one attempt, timeout, multi-turn steps, error values) is as in {@link
 * GeminiModelClient}.
 *
 * <p>The SDK refreshes an expired access token on the calling thread (about once an hour, one HTTPS
 * call to Google's token endpoint) before sending the request.
 */
public final class VertexModelClient implements ModelClient {

  /** The scope Vertex AI needs; service-account credentials come unscoped from their file. */
  static final String CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

  private final GeminiModelClient door;

  /**
   * Settings for the Vertex AI door.
   *
   * @param project Google Cloud project id
   * @param location Vertex location, e.g. {@code global} (preview models) or {@code us-central1}
   * @param credentialsFile service-account JSON key file, or null for application-default
   *     credentials
   * @param baseUrl endpoint override (the emulator), or null for Google's
   * @param timeout time limit of one call
   * @param maxConnections HTTP connections to keep
   */
  public record Settings(
      String project,
      String location,
      Path credentialsFile,
      String baseUrl,
      Duration timeout,
      int maxConnections) {
    public Settings {
      if (project == null || project.isBlank()) {
        throw new IllegalArgumentException("vertex.project: a Google Cloud project id is required");
      }
      if (location == null || location.isBlank()) {
        throw new IllegalArgumentException(
            "vertex.location: a location is required, e.g. global or us-central1");
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("model.timeout.ms: must be > 0");
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("model.max.connections: must be >= 1");
      }
    }
  }

  /**
   * Loads the credentials the settings name.
   *
   * @throws IllegalArgumentException naming {@code vertex.credentials.file} when they cannot be
   *     read
   */
  public VertexModelClient(Settings settings) {
    this(settings, loadCredentials(settings.credentialsFile()));
  }

  /** With given credentials (tests pass a fixed access token). */
  public VertexModelClient(Settings settings, GoogleCredentials credentials) {
    this(settings, credentials, System::nanoTime);
  }

  VertexModelClient(Settings settings, GoogleCredentials credentials, LongSupplier nanoTime) {
    Client client =
        Client.builder()
            .vertexAI(true)
            .project(settings.project())
            .location(settings.location())
            .credentials(credentials)
            .httpOptions(
                GeminiModelClient.httpOptions("v1beta1", settings.baseUrl(), settings.timeout()))
            .clientOptions(GeminiModelClient.clientOptions(settings.maxConnections()))
            .build();
    this.door = new GeminiModelClient(client, "vertex", null, nanoTime);
  }

  /** The service-account file's credentials, or the application-default ones; cloud-platform. */
  static GoogleCredentials loadCredentials(Path file) {
    GoogleCredentials credentials;
    if (file != null) {
      try (InputStream in = Files.newInputStream(file)) {
        credentials = GoogleCredentials.fromStream(in);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "vertex.credentials.file: cannot read service-account credentials from "
                + file
                + ": "
                + e.getMessage(),
            e);
      }
    } else {
      try {
        credentials = GoogleCredentials.getApplicationDefault();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "vertex.credentials.file is not set and no application-default credentials were found"
                + " (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or"
                + " the metadata server): "
                + e.getMessage(),
            e);
      }
    }
    return credentials.createScopedRequired()
        ? credentials.createScoped(List.of(CLOUD_PLATFORM_SCOPE))
        : credentials;
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request) {
    return door.generate(request);
  }

  @Override
  public CompletableFuture<Outcome> generate(ModelRequest request, Runnable leaving) {
    return door.generate(request, leaving);
  }

  @Override
  public String provider() {
    return door.provider();
  }

  @Override
  public void close() {
    door.close();
  }
}
