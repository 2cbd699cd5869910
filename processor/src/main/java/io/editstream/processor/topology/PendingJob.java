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
 *
 * <p>A job in the batch lane carries its batch ({@link BatchRef}): the display name is recorded
 * (and committed) before the batch is created, the batch's name once it exists, so that a restart
 * finds the batch again instead of creating a second one. {@code onlineOnly} keeps a job whose
 * batch failed out of the lane for good.
 */
record PendingJob(
    byte[] frame,
    long acceptedAtMs,
    int attempts,
    int modelCalls,
    long firstDispatchAtMs,
    long firstErrorAtMs,
    long lastErrorAtMs,
    long notBeforeMs,
    BatchRef batch,
    boolean onlineOnly) {

  /**
   * Version 1 had no batch fields, version 2 no batch start ({@link BatchRef#sinceMs}); both are
   * still read. Version 2 is still written for a job without a batch that a failed batch sent
   * online.
   */
  private static final byte VERSION = 3;

  /**
   * The batch a job is in: {@code displayName} (deterministic, recorded before the batch is
   * created), {@code name} ({@code batches/…}, null until the service has answered) and {@code
   * sinceMs}, when the batch was recorded, from which its deadline ({@code batch.deadline.ms}) runs
   * (0: unknown, an entry written before version 3; the lane counts from when it restores it).
   */
  record BatchRef(String displayName, String name, long sinceMs) {
    BatchRef {
      if (displayName == null || displayName.isEmpty()) {
        throw new IllegalArgumentException("displayName: a batch reference needs one");
      }
      if (name != null && name.isEmpty()) {
        name = null;
      }
    }

    BatchRef(String displayName, String name) {
      this(displayName, name, 0);
    }
  }

  PendingJob(
      byte[] frame,
      long acceptedAtMs,
      int attempts,
      int modelCalls,
      long firstDispatchAtMs,
      long firstErrorAtMs,
      long lastErrorAtMs,
      long notBeforeMs) {
    this(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls,
        firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        notBeforeMs,
        null,
        false);
  }

  static PendingJob accepted(byte[] frame, long nowMs) {
    return new PendingJob(frame, nowMs, 0, 0, 0, 0, 0, 0);
  }

  /** Dispatched into the batch {@code displayName}, not created yet: counts as an attempt. */
  PendingJob dispatchedToBatch(long nowMs, String displayName) {
    PendingJob d = dispatched(nowMs);
    return d.with(new BatchRef(displayName, null, nowMs), onlineOnly);
  }

  /** Its batch exists under {@code name}. */
  PendingJob inBatch(String name) {
    if (batch == null) {
      throw new IllegalStateException("no batch recorded for this job");
    }
    return with(new BatchRef(batch.displayName(), name, batch.sinceMs()), onlineOnly);
  }

  /**
   * Its batch ended without an answer for it: the up-front call is taken back, the batch reference
   * dropped, and the job goes online from now on.
   */
  PendingJob online() {
    return settled(0).with(null, true);
  }

  private PendingJob with(BatchRef ref, boolean online) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls,
        firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        notBeforeMs,
        ref,
        online);
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
        0,
        batch,
        onlineOnly);
  }

  /**
   * The dispatch is over and made {@code calls} model calls (its up-front count replaced); a batch
   * it went in is over for it too.
   */
  PendingJob settled(int calls) {
    return new PendingJob(
        frame,
        acceptedAtMs,
        attempts,
        modelCalls - 1 + calls,
        firstDispatchAtMs,
        firstErrorAtMs,
        lastErrorAtMs,
        notBeforeMs,
        null,
        onlineOnly);
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
        untilMs,
        batch,
        onlineOnly);
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
        retryAtMs,
        batch,
        onlineOnly);
  }

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(frame.length + 48);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      // Without batch fields, version 1: a processor that predates the batch lane reads it; without
      // a batch, version 2.
      boolean v2 = batch != null || onlineOnly;
      out.writeByte(batch != null ? VERSION : v2 ? 2 : 1);
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
      if (v2) {
        out.writeBoolean(onlineOnly);
        out.writeUTF(batch == null ? "" : batch.displayName());
        out.writeUTF(batch == null || batch.name() == null ? "" : batch.name());
      }
      if (batch != null) {
        out.writeLong(batch.sinceMs());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static PendingJob decode(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte version = in.readByte();
      if (version < 1 || version > VERSION) {
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
      boolean online = false;
      BatchRef batch = null;
      if (version >= 2) {
        online = in.readBoolean();
        String displayName = in.readUTF();
        String name = in.readUTF();
        long since = version >= 3 && !displayName.isEmpty() ? in.readLong() : 0;
        batch = displayName.isEmpty() ? null : new BatchRef(displayName, name, since);
      }
      return new PendingJob(
          frame,
          accepted,
          attempts,
          modelCalls,
          firstDispatch,
          firstError,
          lastError,
          notBefore,
          batch,
          online);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
