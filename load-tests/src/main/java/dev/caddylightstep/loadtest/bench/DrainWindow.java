package dev.caddylightstep.loadtest.bench;

import java.util.Map;

/**
 * The middle of a drain, which a lane's rate and CPU are taken over: from the first reading of its outputs at which
 * a tenth of the backlog was drained to the first later one at which nine tenths were.
 *
 * <p>The first tenth holds the lane's start after its pause (the first polls, the fetches filling up, the first
 * transaction) and the last tenth its end (one partition finishing before the other, leaving a core idle, and the
 * last commit, reported as a wait of its own); a long-running instance pays neither per line. The share drained
 * is taken as read at the two readings, not as the nominal four fifths: under exactly-once the pipeline's outputs
 * become readable a commit at a time, and each reading comes just after a commit, so the steps cancel out instead of
 * adding up to a commit interval at either end. The pass-through's outputs become readable as they are written, and
 * the same rule holds for them. A 200,000-line drain of the pipeline spans about eight commits of each stream thread
 * in its middle.
 */
final class DrainWindow {
    static final double FROM = 0.10;
    static final double TO = 0.90;

    private Reading start;
    private Reading end;

    /**
     * @param drained the share of the backlog whose outputs were readable, from 0 to 1
     * @param threads CPU by thread at the reading, or null where it is not wanted
     */
    record Reading(double drained, Clocks clocks, ThreadCpu threads) {
    }

    /** True when a reading with this share drained would open or close the window: the caller then takes it. */
    boolean wants(double drained) {
        if (start == null) {
            return drained >= FROM;
        }
        // a reading that crossed both bounds at once opens the window; the next one with more drained closes it
        return end == null && drained >= TO && drained > start.drained;
    }

    void take(Reading reading) {
        if (start == null) {
            start = reading;
        } else if (end == null) {
            end = reading;
        }
    }

    boolean isClosed() {
        return end != null;
    }

    /** The share of the backlog drained within the window. */
    double drained() {
        return end.drained - start.drained;
    }

    double seconds() {
        return end.clocks.secondsSince(start.clocks);
    }

    double linesPerSecond(long backlogLines) {
        return drained() * backlogLines / seconds();
    }

    double cpuSeconds() {
        return end.clocks.cpuSecondsSince(start.clocks);
    }

    double gcSeconds() {
        return end.clocks.gcSecondsSince(start.clocks);
    }

    Map<String, Double> cpuByThread() {
        return end.threads.secondsByKindSince(start.threads);
    }
}
