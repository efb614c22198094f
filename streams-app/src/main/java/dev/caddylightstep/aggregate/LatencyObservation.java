package dev.caddylightstep.aggregate;

import dev.caddylightstep.access.StageSettings;
import dev.caddylightstep.access.StageTime;
import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.policy.EnrichedRequest;
import java.util.List;

/**
 * What one request contributes to the latency windows: the few fields the aggregates need, so that the
 * repartition before the aggregation moves a small record, not the whole request.
 *
 * @param misfire null when the edge agreed with the policy
 * @param stages where the request's time went ({@link StageTime#of}); the shared empty list when nothing timed it, as
 *        for most requests
 */
public record LatencyObservation(String group, String route, long durationNanos, int status, long size, Misfire misfire,
                                 boolean sloBreached, String traceId, String spanId, List<StageTime> stages) {

    public static LatencyObservation of(EnrichedRequest request, StageSettings stages) {
        var event = request.event();
        String route = request.route() == null ? WindowSettings.OTHER_ROUTE : request.route();
        return new LatencyObservation(request.identity().group(), route, event.durationNanos(), event.status(),
                event.size(), request.verdict().misfire(), request.verdict().sloBreached(), event.trace().traceId(),
                event.trace().spanId(), StageTime.of(event, stages.maxServerTimings()));
    }

    public double durationMillis() {
        return durationNanos / 1_000_000.0;
    }
}
