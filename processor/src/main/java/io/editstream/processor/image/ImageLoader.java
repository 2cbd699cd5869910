package io.editstream.processor.image;

import com.google.common.hash.Hashing;
import com.google.common.net.InetAddresses;
import io.editstream.processor.concurrent.AsyncFailure;
import io.editstream.processor.validate.Rejection;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.SocketFactory;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Turns an {@link InputImage} (inline bytes, {@code file:} or {@code http(s):} URI) into a checked
 * {@link LoadedImage}, asynchronously: {@link #load} returns at once and never blocks the caller;
 * blocking work (file reads, hashing, structure checks) runs on the given executor, HTTP and its
 * DNS lookups on the HTTP client's own daemon threads.
 *
 * <p>Every image, whatever its source, is capped at {@link ImageLimits#maxBytes()} (checked from
 * {@code Files.size} or {@code Content-Length} before reading, and again while reading), sniffed
 * from its bytes ({@code UNSUPPORTED_IMAGE_TYPE} when it is not JPEG/PNG/WebP/HEIC/HEIF, whatever
 * was declared), measured from its header without decoding ({@code IMAGE_DIMENSIONS_TOO_LARGE} over
 * {@link ImageLimits#maxPixels()}), walked from end to end to prove it complete and consistent
 * ({@code UNSUPPORTED_IMAGE_TYPE} for a file cut short or with a corrupt chunk, segment or box; see
 * {@link ImageProbe#whyMalformed}) and hashed ({@code IMAGE_DIGEST_MISMATCH} when a given {@code
 * sha256} differs).
 *
 * <p>{@code file:} URIs must resolve, after {@code ..} and symbolic links, to a regular file below
 * {@link FetchPolicy#fileRoot()}; otherwise {@code URI_NOT_ALLOWED}.
 *
 * <p>{@code http(s):} URIs: the host must be allow-listed, and every address it resolves to must be
 * public (no loopback, private, link-local/metadata, CGNAT, multicast, ULA, or IPv6 forms embedding
 * such an IPv4 address) unless the policy allows it; this is checked for the first URI and for
 * every redirect, which are followed by hand up to {@link FetchPolicy#maxRedirects()}. No proxy is
 * used. Non-2xx answers give {@code IMAGE_FETCH_FAILED}, retryable for 408, 429 and 5xx; timeouts
 * and connection errors are retryable too. One deadline ({@link FetchPolicy#totalTimeout()}) covers
 * all hops and the body; {@link FetchPolicy#connectTimeout()} bounds each connect.
 *
 * <p>DNS rebinding: the HTTP client (OkHttp) resolves names only through this loader's {@link
 * HostResolver}, once per connection it opens, and only the addresses that lookup returned and the
 * address policy passed are handed to it, so it connects to exactly the addresses that were
 * checked: a hostile DNS server cannot answer a public address to the check and a private one to
 * the connect. A redirect to another host opens a new connection and so a new, checked lookup; a
 * pooled connection is reused only for the same host and port, and goes to an address checked when
 * it was opened. TLS still sends SNI for, and verifies the certificate against, the URI's host
 * name. IP-literal URIs are checked without any lookup.
 *
 * <p>The returned future completes exceptionally with an {@link ImageRejectedException} (never
 * another type) whose field is {@code images[i].data}, {@code images[i].uri} or {@code
 * images[i].sha256}.
 */
public final class ImageLoader {

  private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
  private static final int MAX_URI_ECHO = 120;
  private static final int MAX_CONCURRENT_FETCHES = 256;

  private final ImageLimits limits;
  private final FetchPolicy policy;
  private final Executor executor;
  private final HostResolver resolver;
  private final OkHttpClient client;
  private final AddressPolicy addresses;
  private final Path fileRoot;
  private final Path fileRootReal;
  private final ObjectSource objects;

  /** A loader using the system DNS resolver. */
  public ImageLoader(ImageLimits limits, FetchPolicy policy, Executor executor) {
    this(limits, policy, executor, HostResolver.SYSTEM);
  }

  /**
   * A loader.
   *
   * @throws IllegalArgumentException when the policy's file root does not exist or is not a
   *     directory
   */
  public ImageLoader(
      ImageLimits limits, FetchPolicy policy, Executor executor, HostResolver resolver) {
    this(limits, policy, executor, resolver, SocketFactory.getDefault());
  }

  /**
   * A loader that also reads {@code s3://} URIs of the policy's allowed buckets from {@code
   * objects}.
   */
  public ImageLoader(
      ImageLimits limits,
      FetchPolicy policy,
      Executor executor,
      HostResolver resolver,
      ObjectSource objects) {
    this(limits, policy, executor, resolver, SocketFactory.getDefault(), objects);
  }

  /** A loader whose HTTP connections come from {@code sockets}: a seam for tests. */
  ImageLoader(
      ImageLimits limits,
      FetchPolicy policy,
      Executor executor,
      HostResolver resolver,
      SocketFactory sockets) {
    this(limits, policy, executor, resolver, sockets, ObjectSource.NONE);
  }

  private ImageLoader(
      ImageLimits limits,
      FetchPolicy policy,
      Executor executor,
      HostResolver resolver,
      SocketFactory sockets,
      ObjectSource objects) {
    this.objects = Objects.requireNonNull(objects, "objects");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.addresses = new AddressPolicy(policy);
    this.client = httpClient(policy, new CheckedDns(), Objects.requireNonNull(sockets, "sockets"));
    if (policy.fileRoot() == null) {
      this.fileRoot = null;
      this.fileRootReal = null;
    } else {
      this.fileRoot = policy.fileRoot().toAbsolutePath().normalize();
      try {
        this.fileRootReal = fileRoot.toRealPath();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "fileRoot " + fileRoot + " cannot be used: " + e.getClass().getSimpleName(), e);
      }
      if (!Files.isDirectory(fileRootReal)) {
        throw new IllegalArgumentException("fileRoot " + fileRoot + " is not a directory");
      }
    }
  }

  /**
   * Loads and checks image {@code index} of a job. Completes with the image or exceptionally with
   * an {@link ImageRejectedException}.
   */
  public CompletableFuture<LoadedImage> load(InputImage image, int index) {
    String field = "images[" + index + "]";
    CompletableFuture<LoadedImage> work;
    try {
      work = start(image, field);
    } catch (RuntimeException e) {
      work = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<LoadedImage> result = new CompletableFuture<>();
    work.whenComplete(
        (loaded, error) -> {
          if (error == null) {
            result.complete(loaded);
          } else {
            result.completeExceptionally(asRejection(error, field));
          }
        });
    return result;
  }

  /**
   * Loads all images of a job concurrently. Completes with them in order, or exceptionally with the
   * rejection of the lowest-index image that failed (after all loads have finished).
   */
  public CompletableFuture<List<LoadedImage>> loadAll(List<InputImage> images) {
    List<CompletableFuture<LoadedImage>> loads = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      loads.add(load(images.get(i), i));
    }
    CompletableFuture<List<LoadedImage>> result = new CompletableFuture<>();
    CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ignored, anyError) -> {
              List<LoadedImage> loaded = new ArrayList<>(loads.size());
              for (CompletableFuture<LoadedImage> load : loads) {
                Throwable error = load.handle((v, t) -> t).join();
                if (error != null) {
                  result.completeExceptionally(AsyncFailure.unwrap(error));
                  return;
                }
                loaded.add(load.join());
              }
              result.complete(List.copyOf(loaded));
            });
    return result;
  }

  private CompletableFuture<LoadedImage> start(InputImage image, String field) {
    if (image == null) {
      throw reject(FailureCode.INVALID_JOB, field, "is missing");
    }
    ByteBuffer data = image.getData();
    String uri = image.getUri();
    String sha256 = image.getSha256();
    if (data != null && uri == null) {
      ByteBuffer view = data.duplicate();
      return CompletableFuture.supplyAsync(
          () -> {
            if (view.remaining() > limits.maxBytes()) {
              throw tooLarge(field + ".data", view.remaining());
            }
            byte[] bytes = new byte[view.remaining()];
            view.get(bytes);
            return inspect(bytes, field + ".data", field + ".sha256", sha256);
          },
          executor);
    }
    if (uri == null || data != null) {
      throw reject(
          FailureCode.INVALID_JOB,
          field,
          "exactly one of data or uri must be set, " + (uri == null ? "neither is" : "both are"));
    }
    String uriField = field + ".uri";
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw reject(
          FailureCode.INVALID_JOB,
          uriField,
          "is not a valid URI (" + e.getReason() + " at index " + e.getIndex() + ")");
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    CompletableFuture<byte[]> bytes =
        switch (scheme) {
          case "file" -> readFile(parsed, uriField);
          case "http", "https" -> fetchHttp(parsed, uriField);
          case "s3" -> readObject(parsed, uriField);
          default ->
              throw reject(
                  FailureCode.URI_NOT_ALLOWED,
                  uriField,
                  "scheme '"
                      + echo(scheme)
                      + "' is not allowed ("
                      + String.join(", ", policy.enabledSchemes().stream().sorted().toList())
                      + ")");
        };
    return bytes.thenApplyAsync(b -> inspect(b, uriField, field + ".sha256", sha256), executor);
  }

  // ---- checks common to all sources -------------------------------------------------------

  private LoadedImage inspect(byte[] bytes, String field, String shaField, String declaredSha256) {
    if (bytes.length > limits.maxBytes()) {
      throw tooLarge(field, bytes.length);
    }
    ImageType type =
        ImageSniffer.sniff(bytes)
            .orElseThrow(
                () ->
                    reject(
                        FailureCode.UNSUPPORTED_IMAGE_TYPE,
                        field,
                        "the bytes are not a JPEG, PNG, WebP, HEIC or HEIF image"));
    Dimensions dims =
        ImageProbe.dimensions(bytes, type)
            .orElseThrow(
                () ->
                    reject(
                        FailureCode.UNSUPPORTED_IMAGE_TYPE,
                        field,
                        "the bytes start like " + type + " but its header cannot be read"));
    if (dims.pixels() > limits.maxPixels()) {
      throw reject(
          FailureCode.IMAGE_DIMENSIONS_TOO_LARGE,
          field,
          type
              + " header declares "
              + dims
              + " = "
              + dims.pixels()
              + " pixels, at most "
              + limits.maxPixels()
              + " allowed");
    }
    // After the pixel check: a bomb's header alone is reason enough, complete or not.
    Optional<String> malformed = ImageProbe.whyMalformed(bytes, type);
    if (malformed.isPresent()) {
      throw reject(
          FailureCode.UNSUPPORTED_IMAGE_TYPE,
          field,
          "the bytes are not a complete, well-formed " + type + ": " + malformed.get());
    }
    String sha256 = Hashing.sha256().hashBytes(bytes).toString();
    if (declaredSha256 != null && !declaredSha256.equalsIgnoreCase(sha256)) {
      throw reject(
          FailureCode.IMAGE_DIGEST_MISMATCH,
          shaField,
          "does not match the image bytes (their SHA-256 is " + sha256 + ")");
    }
    return new LoadedImage(bytes, type, sha256, dims.width(), dims.height());
  }

  // ---- s3: --------------------------------------------------------------------------------

  private CompletableFuture<byte[]> readObject(URI uri, String field) {
    if (policy.allowedBuckets().isEmpty()) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "s3: URIs are disabled (list the buckets in input.s3.allowed.buckets)");
    }
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
    String path = uri.getPath() == null ? "" : uri.getPath();
    if (bucket == null
        || bucket.isEmpty()
        || uri.getUserInfo() != null
        || uri.getPort() != -1
        || uri.getQuery() != null
        || uri.getFragment() != null
        || path.length() < 2) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "an s3: URI must be s3://bucket/key, without user, port, query or fragment");
    }
    if (!policy.allowedBuckets().contains(bucket)) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "bucket '"
              + echo(bucket)
              + "' is not in input.s3.allowed.buckets ("
              + String.join(", ", policy.allowedBuckets().stream().sorted().toList())
              + ")");
    }
    String key = path.substring(1);
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return objects.read(bucket, key, limits.maxBytes());
          } catch (ObjectSource.TooLarge e) {
            throw tooLarge(field, e.size());
          } catch (ObjectSource.Missing e) {
            throw reject(FailureCode.IMAGE_FETCH_FAILED, field, "object does not exist");
          } catch (ObjectSource.Denied e) {
            throw reject(
                FailureCode.URI_NOT_ALLOWED,
                field,
                "the processor may not read this object: "
                    + e.getMessage()
                    + " (check the blob.s3.* credentials)");
          } catch (IOException e) {
            throw retry(field, "the object store failed: " + e.getMessage(), e);
          }
        },
        executor);
  }

  // ---- file: ------------------------------------------------------------------------------

  private CompletableFuture<byte[]> readFile(URI uri, String field) {
    if (fileRoot == null) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "file: URIs are disabled (set input.file.root to a folder the processor may read)");
    }
    return CompletableFuture.supplyAsync(() -> readFileBlocking(uri, field), executor);
  }

  private byte[] readFileBlocking(URI uri, String field) {
    if (uri.isOpaque()
        || (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty())
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "a file: URI must be file:///absolute/path, without host, query or fragment");
    }
    Path path;
    try {
      path = Path.of(uri).normalize();
    } catch (IllegalArgumentException | FileSystemNotFoundException e) {
      throw reject(FailureCode.URI_NOT_ALLOWED, field, "is not a usable file path");
    }
    // Lexical check first, so nothing outside the root is even probed for existence.
    if (!path.startsWith(fileRoot) && !path.startsWith(fileRootReal)) {
      throw reject(FailureCode.URI_NOT_ALLOWED, field, "path is outside the allowed file root");
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      throw reject(FailureCode.IMAGE_FETCH_FAILED, field, "file does not exist");
    } catch (IOException e) {
      throw retry(field, "file cannot be resolved (" + e.getClass().getSimpleName() + ")", e);
    }
    if (!real.startsWith(fileRootReal)) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          "path leaves the allowed file root through a symbolic link");
    }
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        throw reject(FailureCode.URI_NOT_ALLOWED, field, "is not a regular file");
      }
      if (attributes.size() > limits.maxBytes()) {
        throw tooLarge(field, attributes.size());
      }
      // The file may grow after the size check: read at most one byte more than allowed.
      try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
        byte[] bytes = in.readNBytes((int) limits.maxBytes() + 1);
        if (bytes.length > limits.maxBytes()) {
          throw tooLarge(field, bytes.length);
        }
        return bytes;
      }
    } catch (IOException e) {
      throw retry(field, "file cannot be read (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  // ---- http(s): ---------------------------------------------------------------------------

  /**
   * The only name resolution the HTTP client does: resolves once per connection it opens, refuses
   * the lookup unless every address passes the address policy, and hands the client exactly the
   * addresses it checked, so the connection goes to a checked address (no DNS rebinding between
   * check and connect).
   */
  private final class CheckedDns implements Dns {
    @Override
    public List<InetAddress> lookup(String host) throws UnknownHostException {
      InetAddress[] resolved;
      if (InetAddresses.isInetAddress(host)) {
        resolved = new InetAddress[] {InetAddresses.forString(host)};
      } else {
        try {
          resolved = resolver.resolve(host);
        } catch (UnknownHostException e) {
          throw new RefusedLookup(
              FailureCode.IMAGE_FETCH_FAILED, true, "host '" + echo(host) + "' cannot be resolved");
        }
      }
      if (resolved == null || resolved.length == 0) {
        throw new RefusedLookup(
            FailureCode.IMAGE_FETCH_FAILED, true, "host '" + echo(host) + "' has no address");
      }
      Optional<String> blocked = whyBlocked(host, resolved);
      if (blocked.isPresent()) {
        throw new RefusedLookup(FailureCode.URI_NOT_ALLOWED, false, blocked.get());
      }
      return List.of(resolved);
    }
  }

  /** A lookup that {@link CheckedDns} refused; the client passes it to the call's failure. */
  private static final class RefusedLookup extends UnknownHostException {
    private static final long serialVersionUID = 1L;
    private final transient FailureCode code;
    private final boolean retryable;

    RefusedLookup(FailureCode code, boolean retryable, String detail) {
      super(detail);
      this.code = code;
      this.retryable = retryable;
    }

    ImageRejectedException toRejection(String field, String prefix) {
      Rejection rejection = Rejection.of(code, field, prefix + getMessage());
      return new ImageRejectedException(rejection, retryable, null);
    }
  }

  private static OkHttpClient httpClient(FetchPolicy policy, Dns dns, SocketFactory sockets) {
    // Daemon threads, so an idle loader never holds the JVM open; the deadline, not the
    // dispatcher's queue, limits how long a fetch may take.
    ThreadPoolExecutor threads =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            60,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            runnable -> {
              Thread t = new Thread(runnable, "editstream-image-http");
              t.setDaemon(true);
              return t;
            });
    Dispatcher dispatcher = new Dispatcher(threads);
    dispatcher.setMaxRequests(MAX_CONCURRENT_FETCHES);
    dispatcher.setMaxRequestsPerHost(MAX_CONCURRENT_FETCHES);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .dns(dns)
        .socketFactory(sockets)
        // A proxy would resolve names itself, defeating the address check.
        .proxy(Proxy.NO_PROXY)
        // Redirects are followed by hand, so each hop is checked and counted.
        .followRedirects(false)
        .followSslRedirects(false)
        .retryOnConnectionFailure(false)
        .protocols(List.of(Protocol.HTTP_1_1))
        .connectTimeout(policy.connectTimeout())
        // Never shorter than the fetch deadline, which cancels the call itself.
        .readTimeout(policy.totalTimeout())
        .writeTimeout(policy.totalTimeout())
        .build();
  }

  /** One fetch across its redirects: what to cancel when the deadline passes. */
  private static final class Fetch {
    final String field;
    private volatile Call inFlight;
    private volatile boolean aborted;

    Fetch(String field) {
      this.field = field;
    }

    /** Makes {@code call} the one to cancel; cancels it at once if the deadline already passed. */
    void start(Call call) {
      inFlight = call;
      if (aborted) {
        call.cancel();
      }
    }

    void abort() {
      aborted = true;
      Call call = inFlight;
      if (call != null) {
        call.cancel(); // closes the socket: a blocked read ends at once
      }
    }
  }

  private CompletableFuture<byte[]> fetchHttp(URI uri, String field) {
    Fetch fetch = new Fetch(field);
    long timeoutMillis = policy.totalTimeout().toMillis();
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    hop(uri, 0, fetch)
        .whenComplete(
            (bytes, error) -> {
              if (error == null) {
                result.complete(bytes);
              } else {
                result.completeExceptionally(error);
              }
            });
    result.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    return result.handle(
        (bytes, error) -> {
          if (error == null) {
            return bytes;
          }
          Throwable cause = AsyncFailure.unwrap(error);
          // Our deadline, or the socket's read timeout (the same length) firing first: one answer.
          if (cause instanceof TimeoutException || isReadTimeout(cause)) {
            fetch.abort();
            throw retry(
                field,
                describe(uri) + " gave no complete answer within " + policy.totalTimeout(),
                null);
          }
          throw asRejection(cause, field);
        });
  }

  private CompletableFuture<byte[]> hop(URI uri, int hop, Fetch fetch) {
    String prefix = hop == 0 ? "" : "redirect " + hop + " to " + describe(uri) + ": ";
    Request request;
    try {
      checkHttpTarget(uri, fetch.field, prefix);
      HttpUrl url = httpUrl(uri, fetch.field, prefix);
      request =
          new Request.Builder()
              .url(url)
              .get()
              .header("Accept", "image/*")
              // No transparent gzip: Content-Length must count the bytes we cap.
              .header("Accept-Encoding", "identity")
              .build();
    } catch (ImageRejectedException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<byte[]> done = new CompletableFuture<>();
    Call call = client.newCall(request);
    fetch.start(call);
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call failed, IOException e) {
            done.completeExceptionally(refusal(e, fetch.field, prefix));
          }

          @Override
          public void onResponse(Call answered, Response response) {
            try (response) {
              afterResponse(answered, response, uri, hop, fetch, prefix)
                  .whenComplete(
                      (bytes, error) -> {
                        if (error == null) {
                          done.complete(bytes);
                        } else {
                          done.completeExceptionally(error);
                        }
                      });
            } catch (RuntimeException | IOException e) {
              done.completeExceptionally(refusal(e, fetch.field, prefix));
            }
          }
        });
    return done;
  }

  /** The lookup refusal inside {@code error} as a rejection, else {@code error} itself. */
  private static Throwable refusal(Throwable error, String field, String prefix) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof RefusedLookup refused) {
        return refused.toRejection(field, prefix);
      }
    }
    return error;
  }

  private void checkHttpTarget(URI uri, String field, String prefix) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          prefix + "scheme '" + echo(scheme) + "' is not allowed (http, https)");
    }
    if (uri.getRawUserInfo() != null) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED, field, prefix + "must not carry user info (credentials)");
    }
    if (uri.getHost() == null) {
      throw reject(FailureCode.URI_NOT_ALLOWED, field, prefix + "has no valid host");
    }
    if (policy.allowedHosts().isEmpty()) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          prefix + "http(s) URIs are disabled (no allowed hosts configured)");
    }
    if (!policy.isHostAllowed(uri.getHost())) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          prefix + "host '" + echo(uri.getHost()) + "' is not in the allowed hosts");
    }
    String host = FetchPolicy.normalizeHost(uri.getHost());
    if (InetAddresses.isInetAddress(host)) {
      // An IP literal involves no DNS; check it here, whether or not the client asks the Dns.
      InetAddress[] literal = {InetAddresses.forString(host)};
      whyBlocked(host, literal)
          .ifPresent(
              reason -> {
                throw reject(FailureCode.URI_NOT_ALLOWED, field, prefix + reason);
              });
    }
  }

  /**
   * The URI as the HTTP client will read it; refused when the client would read another host than
   * the one checked (a parser differential is a classic way around host allow-lists).
   */
  private static HttpUrl httpUrl(URI uri, String field, String prefix) {
    HttpUrl url = HttpUrl.parse(uri.toString());
    if (url == null) {
      throw reject(FailureCode.URI_NOT_ALLOWED, field, prefix + "unusable URI");
    }
    String checked = FetchPolicy.normalizeHost(uri.getHost());
    String used = FetchPolicy.normalizeHost(url.host());
    boolean same =
        InetAddresses.isInetAddress(checked) && InetAddresses.isInetAddress(used)
            ? InetAddresses.forString(checked).equals(InetAddresses.forString(used))
            : checked.equals(used);
    if (!same) {
      throw reject(
          FailureCode.URI_NOT_ALLOWED,
          field,
          prefix
              + "host '"
              + echo(uri.getHost())
              + "' is ambiguous (also read as '"
              + echo(used)
              + "')");
    }
    return url;
  }

  /** Why one of the {@code resolved} addresses of {@code host} may not be contacted. */
  private Optional<String> whyBlocked(String host, InetAddress[] resolved) {
    // Every address must pass: the client may connect to any of them.
    for (InetAddress address : resolved) {
      Optional<String> reason = addresses.whyBlocked(address);
      if (reason.isPresent()) {
        String hostPart = InetAddresses.isInetAddress(host) ? "" : " of host '" + echo(host) + "'";
        return Optional.of("address " + address.getHostAddress() + hostPart + " " + reason.get());
      }
    }
    return Optional.empty();
  }

  private CompletableFuture<byte[]> afterResponse(
      Call call, Response response, URI uri, int hop, Fetch fetch, String prefix)
      throws IOException {
    int status = response.code();
    if (REDIRECTS.contains(status)) {
      if (hop >= policy.maxRedirects()) {
        throw reject(
            FailureCode.IMAGE_FETCH_FAILED,
            fetch.field,
            prefix + "more than " + policy.maxRedirects() + " redirects");
      }
      String location = response.header("Location");
      if (location == null) {
        throw reject(
            FailureCode.IMAGE_FETCH_FAILED,
            fetch.field,
            prefix + "redirect (HTTP " + status + ") without a Location header");
      }
      URI next;
      try {
        next = uri.resolve(new URI(location));
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw reject(
            FailureCode.IMAGE_FETCH_FAILED,
            fetch.field,
            prefix + "redirect (HTTP " + status + ") to an invalid URI");
      }
      return hop(next, hop + 1, fetch);
    }
    if (status / 100 == 2) {
      return CompletableFuture.completedFuture(readCapped(call, response, fetch, prefix));
    }
    String detail = prefix + describe(uri) + " answered HTTP " + status;
    if (status >= 500 || status == 408 || status == 429) {
      throw retry(fetch.field, detail, null);
    }
    throw reject(FailureCode.IMAGE_FETCH_FAILED, fetch.field, detail);
  }

  /**
   * The body, refused from its Content-Length when that is over the cap, and otherwise read until
   * it grows past the cap: then the call is cancelled, which closes the connection, so a 200 MB
   * answer costs at most the cap in memory and the server cannot push the rest.
   */
  private byte[] readCapped(Call call, Response response, Fetch fetch, String prefix)
      throws IOException {
    long max = limits.maxBytes();
    ResponseBody body = response.body();
    long declared = body == null ? -1 : body.contentLength();
    if (declared > max) {
      call.cancel(); // closing alone would first try to drain the body
      throw reject(
          FailureCode.IMAGE_TOO_LARGE,
          fetch.field,
          prefix
              + "server declares "
              + declared
              + " bytes (Content-Length), at most "
              + max
              + " allowed");
    }
    if (body == null) {
      return new byte[0];
    }
    ByteArrayOutputStream out =
        new ByteArrayOutputStream((int) Math.max(8192, Math.min(max, declared)));
    byte[] buffer = new byte[64 * 1024];
    long received = 0;
    try (InputStream in = body.byteStream()) {
      for (int n; (n = in.read(buffer)) != -1; ) {
        received += n;
        if (received > max) {
          call.cancel();
          throw reject(
              FailureCode.IMAGE_TOO_LARGE,
              fetch.field,
              prefix + "body is larger than " + max + " bytes allowed; download stopped");
        }
        out.write(buffer, 0, n);
      }
    }
    return out.toByteArray();
  }

  // ---- errors -----------------------------------------------------------------------------

  /** A read that timed out (not a connect timeout, which has its own message). */
  private static boolean isReadTimeout(Throwable cause) {
    return cause instanceof InterruptedIOException
        && !String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("connect");
  }

  private static ImageRejectedException asRejection(Throwable error, String field) {
    Throwable cause = AsyncFailure.unwrap(error);
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof ImageRejectedException rejected) {
        return rejected;
      }
    }
    if (cause instanceof SocketTimeoutException
        && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("connect")) {
      return retry(field, "connecting timed out", cause);
    }
    if (cause instanceof InterruptedIOException) {
      return retry(field, "the server did not answer in time", cause);
    }
    if (cause instanceof ConnectException) {
      return retry(field, "the connection failed", cause);
    }
    if (cause instanceof IOException) {
      return retry(field, "reading failed (" + cause.getClass().getSimpleName() + ")", cause);
    }
    // A bug or an unexpected state, e.g. a rejected task while shutting down: may work later.
    return new ImageRejectedException(
        Rejection.of(
            FailureCode.INTERNAL,
            field,
            "unexpected " + cause.getClass().getSimpleName() + " while loading the image"),
        true,
        cause);
  }

  private static ImageRejectedException reject(FailureCode code, String field, String detail) {
    return ImageRejectedException.permanent(code, field, detail);
  }

  private static ImageRejectedException retry(String field, String detail, Throwable cause) {
    return ImageRejectedException.retryable(FailureCode.IMAGE_FETCH_FAILED, field, detail, cause);
  }

  private ImageRejectedException tooLarge(String field, long size) {
    return reject(
        FailureCode.IMAGE_TOO_LARGE,
        field,
        "is " + size + " bytes, at most " + limits.maxBytes() + " allowed");
  }

  /** scheme://host:port/path for messages: the query (it may hold a signature) is left out. */
  static String describe(URI uri) {
    StringBuilder sb = new StringBuilder();
    // A host-less URI (file:///srv/x.png) has no host to print, not a host called "null".
    sb.append(uri.getScheme()).append("://").append(uri.getHost() == null ? "" : uri.getHost());
    if (uri.getPort() >= 0) {
      sb.append(':').append(uri.getPort());
    }
    if (uri.getRawPath() != null) {
      sb.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      sb.append("?…");
    }
    return echo(sb.toString());
  }

  private static String echo(String value) {
    StringBuilder sb = new StringBuilder();
    value
        .codePoints()
        .limit(MAX_URI_ECHO)
        .forEach(
            cp ->
                sb.appendCodePoint(
                    Character.isISOControl(cp) || Character.getType(cp) == Character.SURROGATE
                        ? '?'
                        : cp));
    if (value.codePointCount(0, value.length()) > MAX_URI_ECHO) {
      sb.append('…');
    }
    return sb.toString();
  }
}
