package dev.caddylightstep.loadtest.bench;

/**
 * Counts the input records a lane's consumers have returned, and notes the clocks when the count first reaches a
 * mark: the moment the lane had the backlog's last line in hand, after which the drain only waits for its commits.
 */
final class ConsumedInput {
    private long records;
    private long mark = Long.MAX_VALUE;
    private Clocks reached;

    synchronized void add(long count) {
        records += count;
        if (reached == null && records >= mark) {
            reached = Clocks.now();
        }
    }

    /** The input records returned since the lane started. */
    synchronized long records() {
        return records;
    }

    /** From now on, notes the clocks when the count reaches {@code total} records since the lane started. */
    synchronized void noteAt(long total) {
        mark = total;
        reached = records >= total ? Clocks.now() : null;
    }

    /** The clocks when the count reached the mark, or null while it has not. */
    synchronized Clocks reached() {
        return reached;
    }
}
