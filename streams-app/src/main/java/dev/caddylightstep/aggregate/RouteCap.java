package dev.caddylightstep.aggregate;

import dev.caddylightstep.deadletter.RecordFailure;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Stage {@code cap routes}: each group's window holds at most caddy.window.max-routes routes. Every path segment that
 * is not an id becomes part of a route, so random paths from anonymous clients would otherwise open a window, and name
 * a span, each. Past the cap a request loses its route: its span carries no {@code http.route} and is named by its
 * method alone, and it counts under {@link WindowSettings#OTHER_ROUTE}.
 *
 * <p>Decided here, in the task that read the request, before its span is written; the routes admitted are kept in
 * memory until their window closes ({@link LogClock}), at most max-routes per group and open window. The group's task
 * caps the window again as it merges the partials of every task ({@link WindowMerge}), so a window holds at most
 * max-routes routes however many tasks feed it: there, a route that other tasks filled the window before counts under
 * {other} though its spans name it.
 */
public final class RouteCap {
    private final long sizeMs;
    private final long graceMs;
    private final int maxRoutes;
    private final LogClock clock = new LogClock();
    /** Window start → group → the routes admitted in this task. */
    private final OpenWindows<Map<String, Set<String>>> admitted = new OpenWindows<>(HashMap::new);

    /** One per task: what it admitted is the task's. */
    public RouteCap(WindowSettings windows) {
        this.sizeMs = windows.size().toMillis();
        this.graceMs = windows.grace().toMillis();
        this.maxRoutes = windows.maxRoutes();
    }

    /**
     * The request as its windows count it and its span names it: without its route when the group's window is full.
     *
     * @param timestamp when Caddy logged the request
     * @param now wall-clock time, for the log clock of a task that reads nothing new
     */
    public EnrichedRequest cap(long timestamp, EnrichedRequest request, long now) {
        boolean admit = RecordFailure.guard("cap-routes", () -> admits(timestamp, request, now));
        return admit ? request : request.withoutRoute();
    }

    private boolean admits(long timestamp, EnrichedRequest request, long now) {
        clock.observe(timestamp);
        forgetClosedWindows(clock.time(now));
        if (request.route() == null) {
            return true;
        }
        long windowStart = timestamp - Math.floorMod(timestamp, sizeMs);
        Set<String> routes = admitted.of(windowStart).computeIfAbsent(request.identity().group(), group -> new HashSet<>());
        return routes.contains(request.route()) || (routes.size() < maxRoutes && routes.add(request.route()));
    }

    private void forgetClosedWindows(long time) {
        if (time == Long.MIN_VALUE) {
            return;
        }
        // a window closes once the clock passes its end and grace; later requests for it are late, whatever their route
        admitted.forgetThrough(time - sizeMs - graceMs);
    }
}
