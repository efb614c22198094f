package dev.caddylightstep.loadtest.soak;

import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The latency windows by group counted again from the lines the soak wrote, one request at a time and without Kafka,
 * and compared with the latest windows the pipeline committed. The requests come from the product's own parser and
 * policy judge run in memory ({@code InMemoryStages}): what is checked is that crashes, restarts and outages neither
 * lose nor repeat a request in a window, not the parser.
 */
final class WindowRecount {
    private final long windowMs;
    private final Map<WindowId, WindowCounts> windows = new TreeMap<>();

    WindowRecount(long windowMs) {
        this.windowMs = windowMs;
    }

    void add(EnrichedRequest request) {
        var event = request.event();
        long end = event.endEpochMillis();
        long start = end - Math.floorMod(end, windowMs);
        Misfire misfire = request.verdict().misfire();
        int status = event.status();
        WindowCounts one = new WindowCounts(1, status >= 500 ? 1 : 0, status == 401 || status == 403 ? 1 : 0,
                misfire != null ? 1 : 0, misfire == Misfire.OVER_PERMISSIVE ? 1 : 0, misfire == Misfire.OVER_RESTRICTIVE ? 1 : 0,
                request.verdict().sloBreached() ? 1 : 0, event.size());
        windows.merge(new WindowId(request.identity().group(), start), one, WindowCounts::plus);
    }

    Map<WindowId, WindowCounts> windows() {
        return windows;
    }

    /** One line per window that differs, missing on either side included, in window order. */
    static List<String> differences(Map<WindowId, WindowCounts> recounted, Map<WindowId, WindowCounts> committed) {
        List<String> differences = new ArrayList<>();
        TreeSet<WindowId> all = new TreeSet<>(recounted.keySet());
        all.addAll(committed.keySet());
        for (WindowId id : all) {
            WindowCounts expected = recounted.getOrDefault(id, WindowCounts.NONE);
            WindowCounts actual = committed.getOrDefault(id, WindowCounts.NONE);
            if (!expected.equals(actual)) {
                differences.add(id.group() + " @" + id.startMs() + ": recounted " + expected + ", committed "
                        + (committed.containsKey(id) ? actual : "nothing"));
            }
        }
        return differences;
    }
}
