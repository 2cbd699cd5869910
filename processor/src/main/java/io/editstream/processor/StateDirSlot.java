package io.editstream.processor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * This instance's own Kafka Streams state directory under the configured {@code state.dir}: the
 * lowest free {@code instance-N} slot, held by an OS file lock while the instance runs.
 *
 * <p>Kafka Streams allows one instance per state directory. With a slot per instance, several
 * processors started on one host (or replicas sharing one volume) each get their own directory, and
 * a restarted instance takes the slot its predecessor left (an OS lock dies with its process, also
 * after {@code kill -9}), so it finds its local state again.
 */
final class StateDirSlot implements AutoCloseable {

  /** Slots tried before giving up: more instances than this on one host is a mistake. */
  static final int MAX_SLOTS = 64;

  private final Path dir;
  private final FileChannel channel;
  private final FileLock lock;

  private StateDirSlot(Path dir, FileChannel channel, FileLock lock) {
    this.dir = dir;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Claims the lowest free slot under {@code base}.
   *
   * @throws IllegalStateException naming {@code state.dir} when the base cannot be written or every
   *     slot is taken
   */
  static StateDirSlot claim(Path base) {
    try {
      Files.createDirectories(base);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot create the state directory "
              + base
              + " (state.dir / EDITSTREAM_STATE_DIR): "
              + e.getMessage(),
          e);
    }
    for (int n = 0; n < MAX_SLOTS; n++) {
      Path lockFile = base.resolve("instance-" + n + ".lock");
      FileChannel channel = null;
      try {
        channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLock(channel);
        if (lock != null) {
          Path dir = base.resolve("instance-" + n);
          Files.createDirectories(dir);
          return new StateDirSlot(dir, channel, lock);
        }
        channel.close();
      } catch (IOException e) {
        closeQuietly(channel);
        throw new IllegalStateException(
            "cannot lock " + lockFile + " (state.dir / EDITSTREAM_STATE_DIR): " + e.getMessage(),
            e);
      }
    }
    throw new IllegalStateException(
        "all "
            + MAX_SLOTS
            + " instance slots of the state directory "
            + base
            + " are taken by running processors; give this instance another state.dir"
            + " (EDITSTREAM_STATE_DIR)");
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by another processor in this JVM
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing held yet
    }
  }

  /** The directory Kafka Streams uses as its {@code state.dir} for this instance. */
  Path dir() {
    return dir;
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the state directory slot " + dir, e);
    }
  }
}
