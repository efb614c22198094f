package dev.caddylightstep.aggregate;

import dev.caddylightstep.policy.Misfire;
import dev.caddylightstep.policy.EnrichedRequest;

/**
 * What one request contributes to the latency windows: the few fields the aggregates need, so that the
 * repartition before the aggregation moves a small record, not the whole request.
 *
 * @param misfire null when the edge agreed with the policy
 */
public record LatencyObservation(String group, String route, long durationNanos, int status, long size, Misfire misfire,
                                 boolean sloBreached, String traceId, String spanId) {

    public static LatencyObservation of(EnrichedRequest request) {
        var event = request.event();
        String route = request.route() == null ? WindowSettings.OTHER_ROUTE : request.route();
        return new LatencyObservation(request.identity().group(), route, event.durationNanos(), event.status(),
                event.size(), request.verdict().misfire(), request.verdict().sloBreached(), event.trace().traceId(),
                event.trace().spanId());
    }

    public double durationMillis() {
        return durationNanos / 1_000_000.0;
    }
}
