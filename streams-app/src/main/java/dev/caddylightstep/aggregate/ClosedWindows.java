package dev.caddylightstep.aggregate;

import dev.caddylightstep.schema.LatencyAggregateRecord;
import java.util.List;

/**
 * The windows that closed when the merge's log time last crossed a window's end plus the grace: final, as the
 * aggregate topics have them. The objectives' burn rates are computed from the group windows, so that they move with
 * log time and a replayed log raises the same alerts; the OTLP metrics are made from both, each window once.
 *
 * @param closedAtMs the merge's log time that closed them
 * @param windows the group windows (route null), oldest first
 * @param routeWindows the route windows of those groups, oldest first
 * @param lateToClosed partials that came after their group's window closed, before it was purged (from a task that
 *        started sending late): the requests each adds to its group's window, which the burn rates count too
 */
public record ClosedWindows(long closedAtMs, List<LatencyAggregateRecord> windows, List<LatencyAggregateRecord> routeWindows,
                            List<LatencyAggregateRecord> lateToClosed) {
    public ClosedWindows {
        windows = List.copyOf(windows);
        routeWindows = List.copyOf(routeWindows);
        lateToClosed = List.copyOf(lateToClosed);
    }
}
