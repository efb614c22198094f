package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.util.List;

/**
 * The group windows that closed when the merge's log time last crossed a window's end plus the grace: final, as the
 * by-group topic has them. The objectives' burn rates are computed from these, so that they move with log time and a
 * replayed log raises the same alerts.
 *
 * @param closedAtMs the merge's log time that closed them
 * @param windows the group windows (route null), oldest first
 */
public record ClosedWindows(long closedAtMs, List<LatencyAggregateRecord> windows) {
    public ClosedWindows {
        windows = List.copyOf(windows);
    }
}
