package dev.caddylightstep.access;

/**
 * The ids of the span made for one request and of the span it continues, as lowercase hex.
 *
 * @param parentSpanId null when the request starts a trace
 * @param traceState the W3C tracestate that came with a continued trace, or null
 */
public record TraceContext(String traceId, String spanId, String parentSpanId, String traceState, boolean sampled, Origin origin) {

    /** The id of the span of the request's upstream call, a child of this one's span: derived, the same on a replay. */
    public String upstreamSpanId() {
        return TraceIds.upstreamSpanId(spanId);
    }

    /** Where the trace id came from. */
    public enum Origin {
        /** The request's W3C traceparent header: our span is a child of the caller's. */
        TRACEPARENT,
        /** Caddy's own tracing (traceID/spanID in the log): our span is a child of Caddy's span. */
        CADDY_TRACING,
        /** Nothing in the log: ids derived from the log line, so that a replay gives the same ids. */
        DERIVED
    }
}
