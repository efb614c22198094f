package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.schema.LatencyAggregateRecord;

/**
 * The counters of one group's window that must come out exact under exactly-once, whatever crashed: the latency
 * figures are left out, since a sketch's quantiles are no more exact than its accuracy.
 */
record WindowCounts(long count, long errors, long denied, long misfires, long overPermissive, long overRestrictive,
                    long sloBreaches, long bytes) {
    static final WindowCounts NONE = new WindowCounts(0, 0, 0, 0, 0, 0, 0, 0);

    static WindowCounts of(LatencyAggregateRecord r) {
        return new WindowCounts(r.getCount(), r.getErrors(), r.getDenied(), r.getMisfires(), r.getOverPermissive(),
                r.getOverRestrictive(), r.getSloBreaches(), r.getBytes());
    }

    WindowCounts plus(WindowCounts o) {
        return new WindowCounts(count + o.count, errors + o.errors, denied + o.denied, misfires + o.misfires,
                overPermissive + o.overPermissive, overRestrictive + o.overRestrictive, sloBreaches + o.sloBreaches, bytes + o.bytes);
    }
}
