package dev.caddylightstep.ship;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File mode: reads lines with a {@link LogFollower}, sends them with a {@link LineProducer}, and writes the
 * {@link Checkpoint} once Kafka acknowledged every line before the checkpointed position.
 *
 * <p>Duplicates after a crash are bounded by the {@link AckWindow}: at most {@code maxPendingLines} lines are
 * ever sent and not yet covered by a checkpoint on disk, so a restart (or kill -9) repeats at most that many
 * lines, and repeats none after a clean stop. The checkpoint is written once half the window is acknowledged,
 * or one second after the last write if anything new was acknowledged, and on stop.
 */
final class FileShipping {
    private static final Logger LOG = LoggerFactory.getLogger(FileShipping.class);
    private static final long IDLE_NANOS = Duration.ofMillis(50).toNanos();
    private static final long CHECKPOINT_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    private final Path log;
    private final LogFollower follower;
    private final LineProducer producer;
    private final Checkpoint checkpoint;
    private final AckWindow window;
    private final ShipMetrics metrics;
    private final Sending sending = new Sending();
    private volatile boolean stopping;
    private volatile Thread thread;
    private long lastCheckpointNanos = System.nanoTime();

    FileShipping(Path log, LogFollower follower, LineProducer producer, Checkpoint checkpoint, int maxPendingLines, ShipMetrics metrics) {
        this.log = log;
        this.follower = follower;
        this.producer = producer;
        this.checkpoint = checkpoint;
        this.window = new AckWindow(maxPendingLines);
        this.metrics = metrics;
        metrics.lag(() -> follower.unreadBytes() + window.unacknowledgedBytes());
    }

    /** Ships until {@link #stop()}; then waits for the lines in flight and checkpoints them. */
    void run() {
        thread = Thread.currentThread();
        try {
            while (!stopping) {
                failIfProducerFailed();
                int read = follower.poll(sending);
                window.collect();
                if (window.acknowledgedSinceCheckpoint() >= window.capacity() / 2
                        || (window.acknowledgedSinceCheckpoint() > 0 && System.nanoTime() - lastCheckpointNanos >= CHECKPOINT_INTERVAL_NANOS)) {
                    checkpoint();
                }
                if (read == 0) {
                    LockSupport.parkNanos(this, IDLE_NANOS);
                }
            }
        } catch (Stopping e) {
            // asked to stop while waiting for room in the window
        } catch (IOException e) {
            checkpointAcknowledged();
            throw new ShipException("cannot read " + log + ": " + Checkpoint.reason(e), e);
        } catch (ShipException e) {
            checkpointAcknowledged();
            throw e;
        }
        drain();
    }

    void stop() {
        stopping = true;
        Thread running = thread;
        if (running != null) {
            LockSupport.unpark(running);
        }
    }

    private void drain() {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        window.collect();
        while (!window.nothingInFlight() && producer.failure() == null && System.nanoTime() < deadline) {
            window.awaitAcknowledgement(Duration.ofMillis(100).toNanos());
            window.collect();
        }
        checkpointAcknowledged();
        failIfProducerFailed();
        if (!window.nothingInFlight()) {
            LOG.warn("stopped with lines still unacknowledged after {} s; they are shipped again on the next start", DRAIN_TIMEOUT.toSeconds());
        }
    }

    private void checkpointAcknowledged() {
        window.collect();
        if (window.acknowledgedSinceCheckpoint() > 0) {
            checkpoint();
        }
    }

    private void checkpoint() {
        LogPosition position = window.acknowledgedPosition();
        checkpoint.write(log, position, Instant.now());
        window.checkpointed();
        metrics.position(position.toString());
        lastCheckpointNanos = System.nanoTime();
    }

    private void failIfProducerFailed() {
        String failure = producer.failure();
        if (failure != null) {
            throw new ShipException(failure);
        }
    }

    /** Waits until the window has room: checkpoints half of it once acknowledged, so as not to write one per batch. */
    private void awaitRoom() {
        while (window.isFull()) {
            failIfProducerFailed();
            if (stopping) {
                throw new Stopping();
            }
            window.collect();
            if (window.acknowledgedSinceCheckpoint() >= window.capacity() / 2
                    || (window.nothingInFlight() && window.acknowledgedSinceCheckpoint() > 0)) {
                checkpoint();
            } else {
                window.awaitAcknowledgement(Duration.ofMillis(10).toNanos());
            }
        }
    }

    /** Sends each line the follower reads. */
    private final class Sending implements LogFollower.Lines {
        @Override
        public void line(LogFile file, byte[] buffer, int offset, int length, long start, long end) {
            awaitRoom();
            byte[] value = Arrays.copyOfRange(buffer, offset, offset + length);
            AckWindow.Entry entry = window.add(file, end, length);
            producer.send(value, file.path().toString(), start, () -> window.acknowledged(entry));
        }

        @Override
        public void tooLong(LogFile file, byte[] buffer, int offset, int prefixLength, long length, long start, long end) {
            awaitRoom();
            byte[] prefix = Arrays.copyOfRange(buffer, offset, offset + prefixLength);
            AckWindow.Entry entry = window.add(file, end, prefixLength);
            producer.sendTooLong(prefix, length, file.path().toString(), start, () -> window.acknowledged(entry));
        }

        @Override
        public void truncated(long lostBytes) {
            metrics.truncated(lostBytes);
        }
    }

    /** Unwinds a read that waits for room in the window when the shipper is asked to stop. */
    private static final class Stopping extends RuntimeException {
        Stopping() {
            super(null, null, false, false);
        }
    }
}
