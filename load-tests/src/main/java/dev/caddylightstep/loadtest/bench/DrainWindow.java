package dev.caddylightstep.loadtest.bench;

import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The middle of a drain, which a lane's rate and CPU are taken over: from the first reading at which a tenth of the
 * backlog was drained to the first later one at which nine tenths were.
 *
 * <p>The first tenth holds the lane's start after its pause (the first polls, the fetches filling up, the first
 * transaction) and the last tenth its end (one partition finishing before the other, leaving a core idle); a
 * long-running instance pays neither per line. What is drained is the input the lane's consumers have returned, read
 * every 10 ms, and the share is taken as read at the two readings. The outputs read back committed would not do:
 * under exactly-once each task's outputs become readable at its own commit, every 500 ms, and a reading just after
 * one task's commit missed up to half a second of the other's. Of a 200,000-line backlog that was up to 15% at either
 * end of the window, and the pipeline's rate moved from 98,993 to 136,097 lines/s between runs of the same lines (at
 * 1,000,000 lines, 118,580–140,762). A stream thread holds at most a thousand records a partition it has not
 * processed (buffered.records.per.partition), so the input returned is within 1% of a 200,000-line backlog of the
 * input processed. The wait for the last outputs to become readable is reported on its own, as the commit wait.
 */
final class DrainWindow {
    static final double FROM = 0.10;
    static final double TO = 0.90;

    private Reading start;
    private Reading end;

    /**
     * @param drained the share of the backlog its consumers had returned, from 0 to 1
     * @param threads CPU by thread at the reading, or null where it is not wanted
     */
    record Reading(double drained, Clocks clocks, ThreadCpu threads) {
    }

    /** True when a reading with this share drained would open or close the window. */
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

    /**
     * Reads the share drained every 10 ms, taking the readings the window wants, until it is closed or the thread is
     * interrupted.
     */
    void sample(DoubleSupplier drained) {
        while (!isClosed()) {
            double share = drained.getAsDouble();
            if (wants(share)) {
                take(new Reading(share, Clocks.now(), ThreadCpu.snapshot()));
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
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
