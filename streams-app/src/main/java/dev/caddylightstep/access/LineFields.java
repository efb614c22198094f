package dev.caddylightstep.access;

import com.fasterxml.jackson.core.JsonToken;
import java.util.List;
import java.util.Map;

/**
 * The fields of one line as they are read, in whatever order the line has them. Only the fields read are checked for
 * duplicates, which costs a bit per field instead of Jackson's check of every name in the line.
 */
final class LineFields {
    private int seen;
    String logger;
    /** zap's message key: every line of every Caddy logger has one. */
    boolean hasMessage;
    /** Read when {@link #claimed} (their readers refuse a null); not boxed, as the fields read on every line are not. */
    long endEpochNanos;
    long durationNanos;
    int status;
    /** A status of null is none. */
    boolean hasStatus;
    long size;
    long bytesRead = -1;
    boolean hasRequest;
    String remoteIp;
    int remotePort = -1;
    String clientIp;
    String protocol;
    String method;
    String host;
    String uri;
    /** The headers kept for a stage (an identity header, those captured for spans); null when the line has none of them. */
    Map<String, List<String>> requestHeaders;
    Map<String, List<String>> responseHeaders;
    /** The values of the headers the parser reads ({@link ReadHeader}); null when not logged. */
    List<String> userAgent;
    List<String> traceparent;
    List<String> tracestate;
    List<String> serverTiming;
    boolean hasTls;
    boolean tlsResumed;
    int tlsVersion;
    int tlsCipherSuite;
    String tlsProto;
    String tlsServerName;
    String tlsClientCommonName;
    String userId;
    String caddyTraceId;
    String caddySpanId;
    /** Caddy 2.8's log_append fields; NaN when not logged. */
    double upstreamDurationMs = Double.NaN;
    double upstreamLatencyMs = Double.NaN;
    String upstreamAddr;

    /** The values of a header the parser reads; null when the line has not logged it (yet). */
    List<String> read(ReadHeader header) {
        return switch (header) {
            case USER_AGENT -> userAgent;
            case TRACEPARENT -> traceparent;
            case TRACESTATE -> tracestate;
            case SERVER_TIMING -> serverTiming;
        };
    }

    void read(ReadHeader header, List<String> values) {
        switch (header) {
            case USER_AGENT -> userAgent = values;
            case TRACEPARENT -> traceparent = values;
            case TRACESTATE -> tracestate = values;
            case SERVER_TIMING -> serverTiming = values;
        }
    }

    boolean claimed(LineField field) {
        return (seen & (1 << field.ordinal())) != 0;
    }

    /** Marks the field as read and passes its value on; a second time, the line is refused. */
    JsonToken claim(LineField field, String path, JsonToken value) {
        int bit = 1 << field.ordinal();
        if ((seen & bit) != 0) {
            throw InvalidField.duplicate(path);
        }
        seen |= bit;
        return value;
    }
}
