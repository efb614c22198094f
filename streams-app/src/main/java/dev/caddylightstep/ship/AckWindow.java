package dev.caddylightstep.ship;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The lines sent to Kafka and not yet covered by a written checkpoint, in the order they were read. Its capacity
 * bounds what a restart can repeat: a line leaves the window only once a checkpoint past it is on disk. Only the
 * reading thread adds and collects; the producer's thread marks lines acknowledged.
 */
final class AckWindow {
    /** One line in flight: the position after it, and whether Kafka acknowledged it. */
    static final class Entry {
        final LogFile file;
        final long end;
        final int bytes;
        volatile boolean acknowledged;

        Entry(LogFile file, long end, int bytes) {
            this.file = file;
            this.end = end;
            this.bytes = bytes;
        }
    }

    private final int capacity;
    private final ArrayDeque<Entry> inFlight = new ArrayDeque<>();
    private final AtomicLong unacknowledgedBytes = new AtomicLong();
    private Entry lastAcknowledged;
    private int acknowledgedSinceCheckpoint;
    private volatile Thread waiter;

    AckWindow(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    boolean isFull() {
        return inFlight.size() + acknowledgedSinceCheckpoint >= capacity;
    }

    boolean nothingInFlight() {
        return inFlight.isEmpty();
    }

    Entry add(LogFile file, long end, int bytes) {
        Entry entry = new Entry(file, end, bytes);
        inFlight.addLast(entry);
        unacknowledgedBytes.addAndGet(bytes);
        return entry;
    }

    /** Called on the producer's thread. */
    void acknowledged(Entry entry) {
        entry.acknowledged = true;
        unacknowledgedBytes.addAndGet(-entry.bytes);
        Thread waiting = waiter;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }

    /** Moves the acknowledged lines at the head, in read order, to "acknowledged, not yet checkpointed". */
    void collect() {
        while (!inFlight.isEmpty() && inFlight.peekFirst().acknowledged) {
            lastAcknowledged = inFlight.pollFirst();
            acknowledgedSinceCheckpoint++;
        }
    }

    int acknowledgedSinceCheckpoint() {
        return acknowledgedSinceCheckpoint;
    }

    /** The position after the last line of the acknowledged prefix, or null if none was acknowledged yet. */
    LogPosition acknowledgedPosition() {
        return lastAcknowledged == null ? null : new LogPosition(lastAcknowledged.file, lastAcknowledged.end);
    }

    void checkpointed() {
        acknowledgedSinceCheckpoint = 0;
    }

    long unacknowledgedBytes() {
        return unacknowledgedBytes.get();
    }

    /** Waits until the oldest line in flight is acknowledged, or the time is up. */
    void awaitAcknowledgement(long nanos) {
        waiter = Thread.currentThread();
        try {
            Entry head = inFlight.peekFirst();
            if (head != null && !head.acknowledged) {
                LockSupport.parkNanos(this, nanos);
            }
        } finally {
            waiter = null;
        }
    }
}
