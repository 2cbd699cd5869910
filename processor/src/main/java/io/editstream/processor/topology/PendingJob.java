package io.editstream.processor.topology;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * An accepted job as the changelogged pending store holds it: the job's original record bytes
 * (Confluent frame) and its progress. Small on purpose: the store, not the heap, holds the backlog.
 *
 * <p>{@code attempts} counts dispatches (the retry budget and the backoff follow it); {@code
 * modelCalls} counts the model calls they made, which the job's outcome reports as its attempts. A
 * dispatch counts its call up front, so that a call cut off by a crash still counts (it may have
 * been billed); {@link #settled} corrects that with what the attempt reported.
 */
record PendingJob(
    byte[] frame,
    long acceptedAtMs,
    int attempts,
    int modelCalls,
    long firstDispatchAtMs,
    long firstErrorAtMs,
    long lastErrorAtMs,
    long notBeforeMs) {

  private static final byte VERSION = 1;

  static PendingJob accepted(byte[] frame, long nowMs) {
    return new PendingJob(frame, nowMs, 0, 0, 0, 0, 0, 0);
  }

  PendingJob dispatched(long nowMs) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts + 1,
        modelCalls + 1,
        firstDispatchAtMs == 0 ? nowMs : firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        0);
  }

  /** The dispatch is over and made {@code calls} model calls (its up-front count replaced). */
  PendingJob settled(int calls) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls - 1 + calls,
        firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        notBeforeMs);
  }

  /** Held by a guardrail (a tenant's daily cap) until {@code untilMs}; nothing else changes. */
  PendingJob heldUntil(long untilMs) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls,
        firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        untilMs);
  }

  PendingJob failedAttempt(long nowMs, long retryAtMs) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls,
        firstDispatchAtMs,
        firstErrorAtMs == 0 ? nowMs : firstErrorAtMs,
        nowMs,
        retryAtMs);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(frame.length + 48);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(acceptedAtMs);
      out.writeInt(attempts);
      out.writeLong(firstDispatchAtMs);
      out.writeLong(firstErrorAtMs);
      out.writeLong(lastErrorAtMs);
      out.writeLong(notBeforeMs);
      out.writeInt(frame.length);
      out.write(frame);
      // After the frame, where a reader that predates it stops: either version reads the other's.
      out.writeInt(modelCalls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static PendingJob decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte version = in.readByte();
      if (version != VERSION) {
        throw new IllegalStateException("pending store entry has unknown version " + version);
      }
      long accepted = in.readLong();
      int attempts = in.readInt();
      long firstDispatch = in.readLong();
      long firstError = in.readLong();
      long lastError = in.readLong();
      long notBefore = in.readLong();
      byte[] frame = new byte[in.readInt()];
      in.readFully(frame);
      // Written before modelCalls existed: every dispatch was counted as a call.
      int modelCalls = in.available() >= Integer.BYTES ? in.readInt() : attempts;
      return new PendingJob(
          frame, accepted, attempts, modelCalls, firstDispatch, firstError, lastError, notBefore);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
