package dev.caddylightstep.access;

/**
 * How long Caddy's {@code reverse_proxy} waited on the upstream for a request, as Caddy logged it: the
 * {@code log_append} fields of Caddy 2.8 and later ({@code upstream_duration_ms}, {@code upstream_latency_ms},
 * {@code upstream_addr}), or on any version the {@value ServerTiming#CADDY_UPSTREAM} entry a
 * {@code header_down +Server-Timing} adds to the response headers Caddy logs.
 *
 * @param millis the upstream's time in milliseconds, never more than the request's own duration
 * @param measure what {@code millis} measures
 * @param address the upstream's host and port as Caddy dialled it ({@code upstream_addr}), or null when not logged
 */
public record UpstreamTiming(double millis, Measure measure, String address) {

    public enum Measure {
        /** Caddy's upstream duration: from the round trip's start to the end of the response body. */
        DURATION("duration"),
        /** Caddy's upstream latency: from the round trip's start to the response headers; the body is not in it. */
        TTFB("ttfb");

        /** The value of the upstream span's {@code edge.upstream.timing}. */
        public final String code;

        Measure(String code) {
            this.code = code;
        }
    }

    /**
     * What the line tells of its upstream, or null when nothing: the body-inclusive duration when logged, else the
     * time to the response headers, from log_append or from Caddy's Server-Timing entry.
     *
     * @param durationMs {@code upstream_duration_ms}, NaN when not logged
     * @param latencyMs {@code upstream_latency_ms}, NaN when not logged
     */
    static UpstreamTiming of(double durationMs, double latencyMs, String address, ServerTiming serverTiming, long requestNanos) {
        double requestMs = requestNanos / 1_000_000.0;
        if (!Double.isNaN(durationMs)) {
            return new UpstreamTiming(Math.min(durationMs, requestMs), Measure.DURATION, address);
        }
        if (!Double.isNaN(latencyMs)) {
            return new UpstreamTiming(Math.min(latencyMs, requestMs), Measure.TTFB, address);
        }
        ServerTiming.Metric caddy = serverTiming.caddyUpstream();
        if (caddy != null) {
            return new UpstreamTiming(Math.min(caddy.durationMillis(), requestMs), Measure.TTFB, address);
        }
        return null;
    }

    /** The upstream's time in nanoseconds, as span times have it. */
    public long nanos() {
        return Math.round(millis * 1_000_000.0);
    }
}
