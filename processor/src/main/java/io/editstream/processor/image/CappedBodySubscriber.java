package io.editstream.processor.image;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Supplier;

/**
 * Collects a response body into memory up to {@code cap} bytes and cancels the download (which
 * closes the connection) the moment the body grows past it, so a 200 MB answer costs at most {@code
 * cap} bytes of memory. Requests one buffer list at a time: the server is throttled by TCP back
 * pressure while we copy.
 */
final class CappedBodySubscriber implements HttpResponse.BodySubscriber<byte[]> {

  private final long cap;
  private final Supplier<? extends RuntimeException> overflow;
  private final CompletableFuture<byte[]> body = new CompletableFuture<>();
  private final ByteArrayOutputStream out;
  private volatile Flow.Subscription subscription;
  private long received;

  CappedBodySubscriber(
      long cap, long expectedLength, Supplier<? extends RuntimeException> overflow) {
    this.cap = cap;
    this.overflow = overflow;
    this.out = new ByteArrayOutputStream((int) Math.max(8192, Math.min(cap, expectedLength)));
  }

  /** A subscriber that fails at once with {@code error}, reading nothing. */
  static CappedBodySubscriber failing(RuntimeException error) {
    CappedBodySubscriber s = new CappedBodySubscriber(0, 0, () -> error);
    s.body.completeExceptionally(error);
    return s;
  }

  /** A subscriber that reads nothing and yields an empty body (for redirects and errors). */
  static CappedBodySubscriber discarding() {
    CappedBodySubscriber s = new CappedBodySubscriber(0, 0, IllegalStateException::new);
    s.body.complete(new byte[0]);
    return s;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    this.subscription = s;
    if (body.isDone()) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (body.isDone()) {
      return;
    }
    for (ByteBuffer buffer : buffers) {
      received += buffer.remaining();
      if (received > cap) {
        subscription.cancel();
        body.completeExceptionally(overflow.get());
        return;
      }
      byte[] chunk = new byte[buffer.remaining()];
      buffer.get(chunk);
      out.writeBytes(chunk);
    }
    subscription.request(1);
  }

  @Override
  public void onError(Throwable error) {
    body.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    body.complete(out.toByteArray());
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return body;
  }

  /** Stops the download (deadline passed); safe to call at any time, also before subscription. */
  void abort(RuntimeException reason) {
    body.completeExceptionally(reason);
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
