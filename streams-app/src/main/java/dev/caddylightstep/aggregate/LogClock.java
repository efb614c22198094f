package dev.caddylightstep.aggregate;

import java.util.Arrays;

/**
 * The log time that decides, in one task, which windows have closed: the {@value #DEPTH}th latest time its
 * records were logged at, never ahead of the instance's clock. Following the latest time instead, three lines from
 * a host whose clock runs half an hour fast would close every window of the half hour before them, and the real
 * lines after them would all be late. A real jump (traffic resuming after a quiet hour) still moves it, once
 * {@value #DEPTH} lines have come from the new time. Before {@value #DEPTH} records it closes nothing: the first lines a
 * task reads may be the skewed ones.
 *
 * <p>Keeps the {@value #DEPTH} latest times seen as a min-heap: a time later than the heap's least replaces it. Not
 * thread-safe; one per processor.
 */
final class LogClock {
    static final int DEPTH = 16;

    /** A min-heap of the latest times seen; slots never filled hold Long.MIN_VALUE, which the first times replace. */
    private final long[] latest = new long[DEPTH];
    private int seen;

    LogClock() {
        Arrays.fill(latest, Long.MIN_VALUE);
    }

    /** Starts from a time saved earlier, as if {@value #DEPTH} lines had been logged at it. */
    void restore(long time) {
        Arrays.fill(latest, time);
        seen = time == Long.MIN_VALUE ? 0 : DEPTH;
    }

    void observe(long time) {
        if (seen < DEPTH) {
            seen++;
        }
        if (time <= latest[0]) {
            return;
        }
        latest[0] = time;
        siftDown();
    }

    /**
     * The time as of the records seen, or Long.MIN_VALUE until {@value #DEPTH} have come.
     *
     * @param nowMs the instance's clock: a log time past it is a clock running fast, and closes nothing
     */
    long time(long nowMs) {
        return seen < DEPTH ? Long.MIN_VALUE : Math.min(latest[0], nowMs);
    }

    private void siftDown() {
        int i = 0;
        while (true) {
            int left = 2 * i + 1;
            if (left >= DEPTH) {
                return;
            }
            int least = left + 1 < DEPTH && latest[left + 1] < latest[left] ? left + 1 : left;
            if (latest[i] <= latest[least]) {
                return;
            }
            long swap = latest[i];
            latest[i] = latest[least];
            latest[least] = swap;
            i = least;
        }
    }
}
